package dev.mainstay.fallback;

/**
 * Reads the entries of a job's {@code provenance.fallback_path}, which say in words what each step
 * off the ideal path did ({@code "openai/gpt-4o-mini: provider_unavailable, gave up"},
 * {@code "cached: served the result of job_…"}, {@code "rules:extractive-summary: built the result
 * without a model"}), for the bounded name of the rung it belongs to.
 */
public final class FallbackPath {
    /** The rung of an entry that gave up a route target for the next one. */
    public static final String NEXT_TARGET = "next_target";

    private FallbackPath() {
    }

    /**
     * The rung an entry belongs to: {@code cached}, {@code rules:<name>}, {@code draft},
     * {@code review}, or {@link #NEXT_TARGET} for a route target given up.
     */
    public static String rung(String entry) {
        if (entry.startsWith("rules:")) {
            int end = entry.indexOf(": ", "rules:".length());
            return end < 0 ? entry : entry.substring(0, end);
        }
        for (String rung : new String[] {"cached", "draft", "review"}) {
            if (entry.startsWith(rung + ":")) {
                return rung;
            }
        }
        return NEXT_TARGET;
    }
}
