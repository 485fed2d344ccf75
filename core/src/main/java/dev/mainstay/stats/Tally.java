package dev.mainstay.stats;

import dev.mainstay.job.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The additive counts a {@link JobStats} is made of, per workflow and per hour or day of submit
 * time: how many jobs ended in each status, the token and cost sums, the fallback rungs, and
 * latencies as counts per {@link LatencyBins bin}. The store keeps the same counts pre-bucketed
 * (folded) and adds the jobs it has not folded yet, so a summary of a day sums a few hundred
 * rows; {@link #counters(JobFact, Sink)} is the one definition of what a job counts for, used by
 * both.
 *
 * <p>Stage counts ({@value #STAGE}, {@value #VALIDATION}) feed no time series and are kept under
 * {@link Instant#EPOCH} whatever the job's time.
 */
public final class Tally {
    public static final String STATUS = "status";
    public static final String RESULT = "result";
    public static final String RETRIED = "retried";
    public static final String INPUT_TOKENS = "input_tokens";
    public static final String OUTPUT_TOKENS = "output_tokens";
    public static final String COST = "cost_micros";
    public static final String RUNG = "rung";
    public static final String QUEUE = "queue_ms";
    public static final String RUN = "run_ms";
    public static final String TOTAL = "total_ms";
    /** Labelled {@code <stage id>/<bin>}. */
    public static final String STAGE = "stage_ms";
    /** Labelled {@code checked} or {@code passed}. */
    public static final String VALIDATION = "validation";

    /** Receives the counts one job or stage adds. */
    @FunctionalInterface
    public interface Sink {
        void add(String metric, String label, long n);
    }

    /** One count: a metric and its label ({@code ""} for metrics without one). */
    record Key(String metric, String label) {
    }

    private final Map<String, Map<Instant, Map<Key, Long>>> counts = new TreeMap<>();

    /** What one job counts for. Unfinished jobs count their status, usage and queue time only, as in {@link JobStats#of(StatsQuery, Collection, Collection)}. */
    public static void counters(JobFact j, Sink sink) {
        sink.add(STATUS, j.status().wire(), 1);
        if (j.resultType() != null) {
            sink.add(RESULT, j.resultType().wire(), 1);
        }
        sink.add(INPUT_TOKENS, "", j.inputTokens());
        sink.add(OUTPUT_TOKENS, "", j.outputTokens());
        sink.add(COST, "", j.costMicros());
        if (j.startedAt() != null) {
            sink.add(QUEUE, bin(j.createdAt(), j.startedAt()), 1);
        }
        if (!j.status().isTerminal()) {
            return;
        }
        if (j.retries() > 0) {
            sink.add(RETRIED, "", 1);
        }
        if (j.status() == JobStatus.DEGRADED) {
            sink.add(RUNG, JobStats.rescuer(j.fallbackPath()), 1);
        }
        if (j.completedAt() != null) {
            sink.add(TOTAL, bin(j.createdAt(), j.completedAt()), 1);
            if (j.startedAt() != null) {
                sink.add(RUN, bin(j.startedAt(), j.completedAt()), 1);
            }
        }
    }

    /** What one committed stage counts for. */
    public static void counters(StageFact s, Sink sink) {
        sink.add(STAGE, s.stageId() + "/" + LatencyBins.bin(s.runMillis()), 1);
        if (s.validation() != null) {
            sink.add(VALIDATION, "checked", 1);
            if ("passed".equals(s.validation())) {
                sink.add(VALIDATION, "passed", 1);
            }
        }
    }

    /** The counts of {@code jobs} and {@code stages} read one by one, as the query buckets them. */
    public static Tally of(StatsQuery query, Collection<JobFact> jobs, Collection<StageFact> stages) {
        Tally t = new Tally();
        for (JobFact j : jobs) {
            t.add(query.bucket(), j);
        }
        for (StageFact s : stages) {
            t.add(s);
        }
        return t;
    }

    /** Adds one job's counts. */
    public void add(StatsQuery.Bucket bucket, JobFact j) {
        Instant start = bucket.start(j.createdAt());
        counters(j, (metric, label, n) -> add(j.workflow(), start, metric, label, n));
    }

    /** Adds one stage's counts. */
    public void add(StageFact s) {
        counters(s, (metric, label, n) -> add(s.workflow(), Instant.EPOCH, metric, label, n));
    }

    /** Adds {@code n} to one count of {@code workflow} in the series bucket starting at {@code seriesStart}. */
    public void add(String workflow, Instant seriesStart, String metric, String label, long n) {
        if (n == 0) {
            return;
        }
        Instant start = STAGE.equals(metric) || VALIDATION.equals(metric) ? Instant.EPOCH : seriesStart;
        Map<Key, Long> c = counts.computeIfAbsent(workflow, w -> new TreeMap<>()).computeIfAbsent(start, s -> new HashMap<>());
        if (c.merge(new Key(metric, label), n, Long::sum) == 0) {
            c.remove(new Key(metric, label));
        }
    }

    /** The workflows with counts. */
    public Set<String> workflows() {
        return counts.keySet();
    }

    /** The counts of {@code workflow} alone. */
    public Tally only(String workflow) {
        Tally t = new Tally();
        Map<Instant, Map<Key, Long>> mine = counts.get(workflow);
        if (mine != null) {
            mine.forEach((start, c) -> c.forEach((k, n) -> t.add(workflow, start, k.metric(), k.label(), n)));
        }
        return t;
    }

    Map<String, Map<Instant, Map<Key, Long>>> counts() {
        return counts;
    }

    private static String bin(Instant from, Instant to) {
        return Integer.toString(LatencyBins.bin(Math.max(0, Duration.between(from, to).toMillis())));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tally t && t.normal().equals(normal());
    }

    @Override
    public int hashCode() {
        return Objects.hash(normal());
    }

    /** Without the empty maps a count that went back to zero leaves. */
    private Map<String, Map<Instant, Map<Key, Long>>> normal() {
        Map<String, Map<Instant, Map<Key, Long>>> out = new TreeMap<>();
        counts.forEach((w, byStart) -> byStart.forEach((start, c) -> {
            if (!c.isEmpty()) {
                out.computeIfAbsent(w, x -> new TreeMap<>()).put(start, new HashMap<>(c));
            }
        }));
        return out;
    }

    /** Every count as {@code workflow|series start|metric|label} to its value, sorted: for diagnostics and tests. */
    public java.util.SortedMap<String, Long> asMap() {
        java.util.SortedMap<String, Long> out = new TreeMap<>();
        counts.forEach((w, byStart) -> byStart.forEach((start, c) -> c.forEach((k, n) -> out.put(w + "|" + start + "|" + k.metric() + "|" + k.label(), n))));
        return out;
    }

    @Override
    public String toString() {
        return "Tally" + asMap();
    }
}
