package dev.mainstay.contract;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import java.util.List;

/** A request body that does not satisfy its workflow's input schema; lists every violation. */
public final class InvalidInputException extends MainstayException {
    private final List<Violation> violations;

    public InvalidInputException(String message, List<Violation> violations) {
        super(ErrorCode.INVALID_INPUT, message, null, false);
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
