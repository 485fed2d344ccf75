package dev.mainstay.retention;

import java.time.Duration;

/**
 * How long the jobs of a workflow keep what they hold, counted from when each job finished.
 *
 * @param payloads input, result, stage outputs, tool bodies and review proposals; after it the job
 *     row keeps its metadata, status, provenance, timings and usage
 * @param jobs the job row itself, with its stages, events and reviews; usage stays in the ledger
 * @param events the job's event history (kept at most as long as the job)
 */
public record RetentionPolicy(Duration payloads, Duration jobs, Duration events) {
    public static final Duration DEFAULT_PAYLOADS = Duration.ofDays(30);
    public static final Duration DEFAULT_JOBS = Duration.ofDays(400);
    public static final Duration DEFAULT_EVENTS = Duration.ofDays(30);
    public static final RetentionPolicy DEFAULT = new RetentionPolicy(DEFAULT_PAYLOADS, DEFAULT_JOBS, DEFAULT_EVENTS);

    public RetentionPolicy {
        positive("payloads", payloads);
        positive("jobs", jobs);
        positive("events", events);
        if (jobs.compareTo(payloads) < 0) {
            throw new IllegalArgumentException("retention: jobs (" + jobs + ") must be at least payloads (" + payloads + ")");
        }
    }

    static void positive(String name, Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("retention: " + name + " must be at least 1s, got " + d);
        }
    }
}
