package org.diffusion4j;

/**
 * A problem the user can fix (a missing or corrupt file, an option out of range, a checkpoint
 * from another model). Its message is one line that says what is wrong and what to do; the CLI
 * prints it without a stack trace and exits non-zero.
 */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
