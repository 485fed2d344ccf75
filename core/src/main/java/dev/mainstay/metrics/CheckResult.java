package dev.mainstay.metrics;

import java.util.Locale;

/** The verdict of an output contract on one answer, as a metric label. */
public enum CheckResult {
    PASSED,
    /** Not JSON, or not of the schema's shape. */
    SCHEMA_FAILED,
    /** Of the schema's shape, but a CEL rule said no. */
    RULES_FAILED,
    /** Well-formed, but below the confidence gate's minimum. */
    LOW_CONFIDENCE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
