package org.diffusion4j.train;

import org.diffusion4j.UserException;

/**
 * The run stopped because training diverged: the loss was not finite, or the gradient was not
 * finite too many steps in a row. The last checkpoint was saved before, from finite values (its
 * checksums and values are verified when it is loaded).
 * {@link #replays()} says whether resuming would only run into the same steps again (it replays
 * the same random numbers), so that a front end can suggest the way out in its own terms.
 */
public final class TrainingDivergedException extends UserException {
    private static final long serialVersionUID = 1L;

    private final String what;
    private final long step;
    private final boolean replays;

    /** @param what what happened, e.g. "the loss became NaN at step 11" */
    TrainingDivergedException(String what, long step, boolean replays) {
        super(what + "; the run stopped, and its last checkpoint holds the state saved before that: " + (replays
                ? "resuming would replay the same steps, so start a new run from it with a lower learning rate or another seed"
                : "resume it with a lower learning rate or with gradient clipping on"));
        this.what = what;
        this.step = step;
        this.replays = replays;
    }

    /** What happened, without the way out: "the loss became NaN at step 11". */
    public String what() {
        return what;
    }

    /** The 1-based step at which the run stopped. */
    public long step() {
        return step;
    }

    /**
     * True if resuming would replay the same failing steps (non-finite gradients), so a new run
     * branched from the checkpoint with another learning rate or seed is the way on; false if
     * resuming with a lower learning rate or with clipping may do.
     */
    public boolean replays() {
        return replays;
    }
}
