package dev.mainstay.metrics;

import java.util.Locale;

/** How one step of a stage ended, as a metric label: the cases of the engine's stage outcome. */
public enum StageEnd {
    COMPLETED,
    RETRY,
    WAIT,
    SWITCH_TARGET,
    PARTIAL,
    RESCUED,
    REVIEW,
    FAILED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
