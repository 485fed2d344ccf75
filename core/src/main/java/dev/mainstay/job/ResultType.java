package dev.mainstay.job;

import java.util.Locale;

/** What kind of result a finished job holds: the ideal path's, a draft, or a fallback's. */
public enum ResultType {
    FULL,
    DRAFT,
    FALLBACK;

    // Computed once: the wire form is written with every event, stage and job row.
    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static ResultType fromWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
