package org.diffusion4j;

/**
 * A value given to the library that is out of range or does not fit the rest (a batch larger
 * than the data set, an unknown preset, a negative step count). It names the argument as the
 * library's API names it (a record component or a method parameter, such as {@code batchSize}),
 * so that a front end can speak of its own names for it: the command line maps
 * {@code batchSize} to its {@code --batch} option. The message speaks only of values.
 */
public class InvalidArgumentException extends UserException {
    private static final long serialVersionUID = 1L;

    private final String argument;
    private final String value;
    private final String problem;

    /**
     * @param argument the argument's name in the library's API, such as {@code batchSize}
     * @param value the value given (its {@code toString()} is shown)
     * @param problem what is wrong with it and what to do, e.g. "is larger than the data set (100 rows)"
     */
    public InvalidArgumentException(String argument, Object value, String problem) {
        super(argument + " " + value + " " + problem);
        this.argument = argument;
        this.value = String.valueOf(value);
        this.problem = problem;
    }

    /** The argument's name in the library's API. */
    public String argument() {
        return argument;
    }

    /** The value given, as text. */
    public String value() {
        return value;
    }

    /** What is wrong with the value and what to do, without the argument's name. */
    public String problem() {
        return problem;
    }
}
