package dev.mainstay.contract;

/**
 * A JSON Schema that cannot be used, with the spot at fault: a JSON pointer into the schema
 * document itself, e.g. {@code /properties/owner/type}, so that a message about a workflow file
 * can name the line of the offending keyword rather than the schema's first line.
 */
public final class InvalidSchemaException extends IllegalArgumentException {
    private final String pointer;

    public InvalidSchemaException(String pointer, String message) {
        super(message);
        this.pointer = pointer;
    }

    /** Where in the schema the problem is; {@code ""} for the schema as a whole. */
    public String pointer() {
        return pointer;
    }
}
