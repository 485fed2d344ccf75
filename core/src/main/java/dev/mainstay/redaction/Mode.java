package dev.mainstay.redaction;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** What the redactor does with a detected value of one category. */
public enum Mode {
    /** The value is sent as it is (and not even looked for). */
    ALLOW,
    /** The value is replaced by its category's label, e.g. {@code [EMAIL]}; nothing can restore it. */
    MASK,
    /**
     * The value is replaced by a placeholder such as {@code [[EMAIL_1]]} that {@link TokenVault}
     * turns back into the value in the model's answer.
     */
    TOKENIZE,
    /** The content is refused with {@link RedactionBlockedException}; nothing is produced. */
    BLOCK;

    /** The name used in workflow files, e.g. {@code tokenize}. */
    // Computed once: the wire form is written with every event, stage and job row.
    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static Optional<Mode> fromWire(String wire) {
        for (Mode m : values()) {
            if (m.wire().equals(wire)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    static String known() {
        return Arrays.stream(values()).map(Mode::wire).collect(Collectors.joining(", "));
    }
}
