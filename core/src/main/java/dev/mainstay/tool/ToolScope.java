package dev.mainstay.tool;

import java.util.Locale;
import java.util.Optional;

/**
 * What a tool stage may do to the system it calls. {@code read} runs freely; {@code draft} never
 * calls: it proposes the request for a person to apply; {@code execute} calls only after a person
 * approved it through the review API.
 */
public enum ToolScope {
    READ, DRAFT, EXECUTE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ToolScope> fromWire(String text) {
        for (ToolScope s : values()) {
            if (s.wire().equals(text)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
