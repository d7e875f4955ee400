/**
 * The digit classifiers behind the sample scores of 'eval samples' (docs/evaluation.md).
 * <b>Public API</b>: {@link org.diffusion4j.classifier.Classifier} (load, evaluate; one thread at
 * a time) and {@link org.diffusion4j.classifier.DigitClassifier.Config}.
 */
package org.diffusion4j.classifier;
