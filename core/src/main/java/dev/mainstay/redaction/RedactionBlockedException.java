package dev.mainstay.redaction;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/**
 * Content refused because it holds values of a category the policy blocks ({@code redaction_blocked}).
 * The message and {@link #blocked()} name the categories and counts, never a value, so the
 * refusal itself can be logged and shown to the client.
 */
public final class RedactionBlockedException extends MainstayException {
    private final Report blocked;

    public RedactionBlockedException(Report blocked) {
        super(ErrorCode.REDACTION_BLOCKED, "the redaction policy refuses content holding these categories; found "
                + blocked + " (values not shown)", null, false);
        if (blocked.isEmpty()) {
            throw new IllegalArgumentException("a refusal needs at least one blocked value. Indicates a bug.");
        }
        this.blocked = blocked;
    }

    /** How many values of each blocked category were found. */
    public Report blocked() {
        return blocked;
    }
}
