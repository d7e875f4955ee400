package org.diffusion4j.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While open, Ctrl-C (SIGINT) and SIGTERM ask long work to stop cleanly (finish the step, save)
 * instead of killing the JVM; a second Ctrl-C exits at once. Restores the old handlers on close.
 */
final class StopOnSignal implements AutoCloseable {
    private final SignalHandler oldInt;
    private final SignalHandler oldTerm;
    private volatile boolean asked;

    StopOnSignal(Runnable stop) {
        SignalHandler h = sig -> {
            if (asked) {
                System.err.println("\nstopping now");
                System.exit(Main.EXIT_INTERRUPTED);
            }
            asked = true;
            System.err.println("\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)");
            stop.run();
        };
        oldInt = Signal.handle(new Signal("INT"), h);
        oldTerm = Signal.handle(new Signal("TERM"), h);
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), oldInt);
        Signal.handle(new Signal("TERM"), oldTerm);
    }
}
