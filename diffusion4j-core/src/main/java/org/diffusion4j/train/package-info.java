/**
 * The one training loop of every model family ({@link org.diffusion4j.train.Trainer}) with Adam,
 * EMA, gradient clipping, checkpoints, run folders and wall-clock budgets. <b>Public API</b>:
 * {@link org.diffusion4j.train.ModelTraining} (what the training builders share), {@link
 * org.diffusion4j.train.TrainConfig}, {@link org.diffusion4j.train.TrainingListener}, {@link
 * org.diffusion4j.train.StepRecord}, and the loop itself for a {@link
 * org.diffusion4j.train.TrainingTask} of your own. Checkpoint files, run folders and locks serve
 * the command line. A trainer is used by one thread.
 */
package org.diffusion4j.train;
