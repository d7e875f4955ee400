package org.diffusion4j.spark;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.diffusion4j.UserException;

/**
 * The {@code --option value} arguments of the Spark jobs' entry points, checked before Spark
 * starts: an unknown option, a missing value or a bad number is a {@link UserException} of one
 * line, which {@link #exit} prints as {@code diffusion4j-spark: MESSAGE} with exit code 2.
 */
final class JobArgs {
    private final Map<String, String> values = new HashMap<>();

    private JobArgs() {}

    /** Reads {@code args} as pairs of an option of {@code options} and its value; null for --help or no arguments. */
    static JobArgs parse(String[] args, Set<String> options) {
        if (args.length == 0 || Arrays.asList(args).contains("--help")) {
            return null;
        }
        JobArgs a = new JobArgs();
        for (int i = 0; i < args.length; i += 2) {
            if (!options.contains(args[i]) || i + 1 >= args.length) {
                throw new UserException(options.contains(args[i]) ? args[i] + " needs a value" : "unknown option '" + args[i]
                        + "'; the options are " + new TreeSet<>(options));
            }
            a.values.put(args[i], args[i + 1]);
        }
        return a;
    }

    /** Refuses the run unless every one of {@code options} was given. */
    JobArgs require(String... options) {
        for (String required : options) {
            if (!values.containsKey(required)) {
                throw new UserException(required + " must be given");
            }
        }
        return this;
    }

    boolean has(String option) {
        return values.containsKey(option);
    }

    String get(String option) {
        return values.get(option);
    }

    String get(String option, String dflt) {
        return values.getOrDefault(option, dflt);
    }

    /** A whole number of at least {@code min}; {@code dflt} when the option is absent. */
    long number(String option, long dflt, long min) {
        String v = values.get(option);
        if (v == null) {
            return dflt;
        }
        long x;
        try {
            x = Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new UserException(option + " must be a whole number, got '" + v + "'");
        }
        if (x < min) {
            throw new UserException(option + " must be >= " + min + ", got " + v);
        }
        return x;
    }

    /** Refuses an output path that exists already. */
    static void requireNew(String option, String path, String why) {
        if (java.nio.file.Files.exists(java.nio.file.Path.of(path))) {
            throw new UserException(option + " " + path + " exists; give a new path" + why);
        }
    }

    /**
     * A path for Spark's readers, which take it as a Hadoop glob: its pattern characters escaped, so
     * that a folder named {@code samples[2].parquet} is read as itself.
     */
    static String literal(String path) {
        return path.replaceAll("([\\\\\\[\\]{}*?])", "\\\\$1");
    }

    /** Refuses a local input file that does not exist (a URI of another file system is read where it is used). */
    static void requireInput(String option, String uri) {
        java.net.URI u;
        try {
            u = java.net.URI.create(uri);
        } catch (IllegalArgumentException e) {
            u = null; // not a URI (a local path with brackets or spaces, say): a local path
        }
        if ((u == null || u.getScheme() == null || "file".equals(u.getScheme())) && !java.nio.file.Files.exists(SparkSampling.localCopy(uri))) {
            throw new UserException(option + " " + uri + ": no such file");
        }
    }

    /**
     * Runs an entry point and exits with its code; a refusal ends in one line on standard error
     * and exit code 2, also when it was raised in a task and came back wrapped by Spark (Spark
     * itself has logged the task's failure by then).
     */
    static void exit(Function<String[], Integer> main, String[] args) {
        try {
            System.exit(main.apply(args));
        } catch (Exception e) { // also Spark's SparkException, a checked exception thrown from Scala
            String refusal = refusal(e);
            if (refusal != null) {
                System.err.println("diffusion4j-spark: " + refusal);
                System.exit(2);
            }
            throw e;
        }
    }

    /** The message of the {@link UserException} in the causes of {@code e}, or null if there is none. */
    static String refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // by name too: a task's exception comes back through the executor's class loader of the job jar
            if (t instanceof UserException || t.getClass().getName().equals(UserException.class.getName())) {
                return t.getMessage();
            }
        }
        return null;
    }
}
