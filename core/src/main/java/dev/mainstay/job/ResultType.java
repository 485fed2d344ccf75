package dev.mainstay.job;

import java.util.Locale;

/** What kind of result a finished job holds: the ideal path's, a draft, or a fallback's. */
public enum ResultType {
    FULL,
    DRAFT,
    FALLBACK;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ResultType fromWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
