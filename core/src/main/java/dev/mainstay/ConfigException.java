package dev.mainstay;

/**
 * A configuration or workflow file that cannot be used. The message always names the file, the
 * line when known, and the field, e.g. {@code examples/workflows/leads/classify.yaml:12: stages[0].model.route:
 * unknown route 'fast' (known: primary, small)}. Raised at start; a server never runs half-configured.
 */
public class ConfigException extends MainstayException {
    public ConfigException(String message) {
        super(ErrorCode.INVALID_INPUT, message);
    }

    public ConfigException(String message, Throwable cause) {
        super(ErrorCode.INVALID_INPUT, message, cause);
    }
}
