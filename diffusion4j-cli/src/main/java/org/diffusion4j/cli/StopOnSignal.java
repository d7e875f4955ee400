package org.diffusion4j.cli;

import java.util.function.Supplier;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While open, Ctrl-C (SIGINT) and SIGTERM ask long work to stop cleanly (finish the step, save)
 * instead of killing the JVM; a second Ctrl-C exits at once, saying what is kept. Restores the
 * old handlers on close.
 */
final class StopOnSignal implements AutoCloseable {
    private final SignalHandler oldInt;
    private final SignalHandler oldTerm;
    private volatile boolean asked;

    /**
     * @param first the line printed at the first signal
     * @param stop asks the work to stop (it may also exit)
     * @param kept what is kept if the process quits at once, asked at the second signal
     */
    StopOnSignal(Supplier<String> first, Runnable stop, Supplier<String> kept) {
        SignalHandler h = sig -> {
            if (asked) {
                System.err.println("\nquitting at once: " + kept.get());
                System.exit(Main.EXIT_INTERRUPTED);
            }
            asked = true;
            System.err.println("\n" + first.get());
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
