package dev.mainstay.evals;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import dev.mainstay.contract.Violation;
import java.util.List;

/**
 * A correction offered as a case's expected answer that breaks the output schema of the workflow
 * version its job ran: {@code validation_failed}, with each violation by JSON pointer into the
 * request. A case never expects an answer the workflow could not give.
 */
public final class CorrectionRejectedException extends MainstayException {
    private final List<Violation> violations;

    public CorrectionRejectedException(String message, List<Violation> violations) {
        super(ErrorCode.VALIDATION_FAILED, message, null, false);
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
