package org.diffusion4j.cli;

import java.io.PrintWriter;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The diffusion4j command line: a thin layer that parses options, calls the library and prints.
 * Every user-fixable problem ends in one line on stderr and a non-zero exit, never a stack trace
 * (set DIFFUSION4J_DEBUG=1 to see one).
 */
@Command(name = "diffusion4j", mixinStandardHelpOptions = true, version = "diffusion4j 0.1.0 (DJL 0.35.0, PyTorch 2.7.1)",
        description = "Train, sample and evaluate diffusion models (DDPM) and VAEs on the CPU, in Java.",
        subcommands = {
            TrainCommand.class,
            SampleCommand.class,
            ServeCommand.class,
            VaeCommand.class,
            AeCommand.class,
            DiffuseCommand.class,
            ModelCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            WidenCommand.class,
            BenchCommand.class,
            ScheduleCommand.class,
            EvalCommand.class,
            ClassifierCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    /** Exit code for bad input or a failed run. */
    public static final int EXIT_USER_ERROR = 2;
    /** Exit code for an unexpected internal error. */
    public static final int EXIT_INTERNAL = 3;
    /** Exit code after an interrupt that saved its work. */
    public static final int EXIT_INTERRUPTED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** When the command began ({@link System#nanoTime()}'s scale): a train --minutes budget counts from here. */
    private static volatile long commandStart = System.nanoTime();
    private static volatile boolean fromProcessStart;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // from the launcher the budget includes the JVM's start
        long sinceStartMs = System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        commandStart = System.nanoTime() - sinceStartMs * 1_000_000L;
        fromProcessStart = true;
        System.exit(execute(args));
    }

    /** When the command began: the process's start from {@link #main}, else the call to {@link #execute}. */
    static long commandStartNanos() {
        return commandStart;
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with errors going to {@code err}; returns the exit code. */
    public static int execute(PrintWriter errors, String... args) {
        if (!fromProcessStart) {
            commandStart = System.nanoTime();
        }
        return configure(new CommandLine(new Main()), errors).execute(args);
    }

    /**
     * Gives a command line the diffusion4j error handling: one line on {@code errors} and exit code
     * {@link #EXIT_USER_ERROR} for bad input, {@link #EXIT_INTERNAL} for bugs (tests of commands not yet
     * hung under Main use it too).
     */
    static CommandLine configure(CommandLine cl, PrintWriter errors) {
        cl.setErr(errors);
        // picocli lets an Error (OutOfMemoryError...) fly past its handlers: catch it here, after the command.
        CommandLine.IExecutionStrategy last = new CommandLine.RunLast();
        cl.setExecutionStrategy(parsed -> {
            try {
                return last.execute(parsed);
            } catch (Error e) {
                return fatal(parsed.commandSpec().commandLine().getErr(), e);
            }
        });
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("diffusion4j: " + ex.getMessage().replace('\n', ' ')
                    + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter err = c.getErr();
            if (System.getenv("DIFFUSION4J_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            Throwable cause = ex;
            while (!(cause instanceof UserException) && cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            if (cause instanceof InvalidArgumentException iae) {
                err.println("diffusion4j: " + oneLine(OptionNames.describe(iae)));
                err.flush();
                return EXIT_USER_ERROR;
            }
            if (cause instanceof UserException) {
                err.println("diffusion4j: " + oneLine(cause.getMessage()));
                err.flush();
                return EXIT_USER_ERROR;
            }
            if (outOfMemory(ex) != null) {
                return fatal(err, outOfMemory(ex));
            }
            if (ex instanceof IllegalArgumentException) {
                err.println("diffusion4j: " + oneLine(ex.getMessage()));
                err.flush();
                return EXIT_USER_ERROR;
            }
            err.println("diffusion4j: internal error: " + ex.getClass().getSimpleName() + ": " + oneLine(ex.getMessage())
                    + " (set DIFFUSION4J_DEBUG=1 for details, and please report it)");
            err.flush();
            return EXIT_INTERNAL;
        });
        return cl;
    }

    /**
     * One line for an Error that reached the top: what happened and what to do. Out of memory (the
     * Java heap, or PyTorch's native allocator) is the usual one, and the user can fix it.
     */
    static int fatal(PrintWriter err, Throwable e) {
        if (System.getenv("DIFFUSION4J_DEBUG") != null) {
            e.printStackTrace(err);
        }
        if (e instanceof OutOfMemoryError || e instanceof NativeOutOfMemory) {
            err.println("diffusion4j: out of memory (" + oneLine(e.getMessage()) + "); ask for less at once "
                    + "(a smaller --batch or --n) or give the JVM more memory (DIFFUSION4J_JAVA_OPTS=-Xmx8g), "
                    + "and close other programs");
            err.flush();
            return EXIT_USER_ERROR;
        }
        err.println("diffusion4j: fatal error: " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage())
                + " (set DIFFUSION4J_DEBUG=1 for details, and please report it)");
        err.flush();
        return EXIT_INTERNAL;
    }

    /** PyTorch's CPU allocator failing ("DefaultCPUAllocator: can't allocate memory"), as a throwable to report. */
    static final class NativeOutOfMemory extends Error {
        private static final long serialVersionUID = 1L;

        NativeOutOfMemory(String message) {
            super(message);
        }
    }

    /** The out-of-memory condition somewhere in {@code e}'s causes, or null. */
    static Throwable outOfMemory(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof OutOfMemoryError) {
                return c;
            }
            String m = c.getMessage();
            if (m != null && m.contains("can't allocate memory")) {
                int at = m.indexOf("you tried to allocate");
                return new NativeOutOfMemory(at >= 0 ? m.substring(at).split("\\.", 2)[0].strip() : "native memory");
            }
        }
        return null;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
