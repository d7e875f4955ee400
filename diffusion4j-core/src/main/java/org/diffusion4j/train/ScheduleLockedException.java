package org.diffusion4j.train;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A run's learning-rate decay has begun, so its schedule can no longer move: the steps already
 * trained must keep the rates they had. Resuming it cannot change steps or lrDecayFrom (a new run
 * branched from it can), and a run branched from it must say where its own decay starts.
 * The fields let a front end phrase the way out in its own terms.
 */
public final class ScheduleLockedException extends org.diffusion4j.UserException {
    private static final long serialVersionUID = 1L;

    private final transient Path run;
    private final long decayFrom;
    private final long done;
    private final double rateNow;
    private final boolean branching;

    ScheduleLockedException(Path run, long decayFrom, long done, double rateNow, boolean branching) {
        super(branching
                ? run + " has been decaying its learning rate since step " + decayFrom + "; give the new run's lrDecayFrom "
                        + "(a step at or after " + done + ", or -1 for none)"
                : run + " has been decaying its learning rate since step " + decayFrom + "; its steps and lrDecayFrom can "
                        + "no longer change (to end sooner or later, start a new run from it with lrDecayFrom " + done
                        + " and learningRate " + String.format(Locale.ROOT, "%.3g", rateNow) + ", its rate now)");
        this.run = run;
        this.decayFrom = decayFrom;
        this.done = done;
        this.rateNow = rateNow;
        this.branching = branching;
    }

    /** The run folder or checkpoint in question. */
    public Path run() {
        return run;
    }

    /** The step its decay began at. */
    public long decayFrom() {
        return decayFrom;
    }

    /** The step it is at. */
    public long done() {
        return done;
    }

    /** Its learning rate at that step. */
    public double rateNow() {
        return rateNow;
    }

    /** True when starting a new run from it (which then needs its own lrDecayFrom), false when resuming it. */
    public boolean branching() {
        return branching;
    }
}
