package dev.mainstay.redaction;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A kind of sensitive value the redactor detects. The declaration order is the priority that
 * decides between two overlapping detections of equal length: checksum-validated and high-harm
 * categories first, shape-only ones last. The rules of each detector are in the
 * {@linkplain dev.mainstay.redaction package documentation}.
 */
public enum Category {
    SECRET,
    CARD,
    IBAN,
    SSN,
    IP,
    EMAIL,
    PHONE;

    /** The name used in workflow files and reports, e.g. {@code email}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The label inside masks and tokens, e.g. {@code EMAIL} in {@code [EMAIL]} and {@code [[EMAIL_1]]}. */
    public String label() {
        return name();
    }

    public static Optional<Category> fromWire(String wire) {
        for (Category c : values()) {
            if (c.wire().equals(wire)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The wire names in priority order, for messages: {@code secret, card, ...}. */
    static String known() {
        return Arrays.stream(values()).map(Category::wire).collect(Collectors.joining(", "));
    }
}
