package dev.mainstay.contract;

/**
 * One reason a document failed its contract: where (an RFC 6901 JSON pointer into the document,
 * {@code ""} for the whole) and why.
 */
public record Violation(String pointer, String message) {
    public Violation {
        if (pointer == null || message == null) {
            throw new IllegalArgumentException("pointer and message are required");
        }
    }

    @Override
    public String toString() {
        return (pointer.isEmpty() ? "/" : pointer) + ": " + message;
    }
}
