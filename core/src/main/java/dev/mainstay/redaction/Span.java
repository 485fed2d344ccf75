package dev.mainstay.redaction;

/** One detection: the characters {@code [start, end)} of a text hold a value of {@code category}. */
record Span(int start, int end, Category category) {
    Span {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("empty or negative span [" + start + ", " + end + "). Indicates a bug.");
        }
    }

    int length() {
        return end - start;
    }
}
