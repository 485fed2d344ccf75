package dev.mainstay.stats;

import dev.mainstay.fallback.FallbackPath;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * A summary of the jobs of a {@link StatsQuery}, computed from what the store holds (so every
 * node of a cluster answers the same), for people and the console: counts, rates, latency
 * percentiles per stage, usage, and the same per hour or day.
 *
 * <p>Rates are over finished jobs (terminal statuses, {@code cancelled} included) and empty when
 * there are none: {@code success_rate} is the share that ended {@code completed};
 * {@code retry_rate} the share that had at least one retry scheduled; {@code fallback_rate} the
 * share that ended {@code degraded}, split by the rung that produced its result;
 * {@code validation_first_pass_rate} is over committed model stages, the share whose first answer
 * passed its output contract.
 */
public record JobStats(StatsQuery query, long submitted, long finished, Map<JobStatus, Long> byStatus, Map<ResultType, Long> byResultType,
                       OptionalDouble successRate, OptionalDouble retryRate, OptionalDouble fallbackRate, Map<String, Double> fallbackByRung,
                       OptionalDouble validationFirstPassRate, Percentiles<Long> queueMillis, Percentiles<Long> runMillis,
                       Percentiles<Long> totalMillis, List<StageLatency> stages, long inputTokens, long outputTokens, long costMicros,
                       List<Bucket> series) {

    /** The latency of one stage of one workflow, over its committed runs. */
    public record StageLatency(String workflow, String stage, long count, Percentiles<Long> millis) {
    }

    /** The figures of one hour or day, by submit time. */
    public record Bucket(Instant start, long submitted, long finished, long completed, long degraded, long failed, OptionalDouble successRate,
                         long inputTokens, long outputTokens, long costMicros) {
    }

    /** Summarises {@code jobs} (those of the query's range) and the committed {@code stages} of those jobs. */
    public static JobStats of(StatsQuery query, Collection<JobFact> jobs, Collection<StageFact> stages) {
        Map<JobStatus, Long> byStatus = new EnumMap<>(JobStatus.class);
        Map<ResultType, Long> byResultType = new EnumMap<>(ResultType.class);
        Map<String, Long> rescuedBy = new TreeMap<>();
        Map<Instant, long[]> buckets = new TreeMap<>();
        List<Long> queue = new ArrayList<>();
        List<Long> run = new ArrayList<>();
        List<Long> total = new ArrayList<>();
        long finished = 0;
        long retried = 0;
        long inputTokens = 0;
        long outputTokens = 0;
        long cost = 0;
        for (JobFact j : jobs) {
            byStatus.merge(j.status(), 1L, Long::sum);
            if (j.resultType() != null) {
                byResultType.merge(j.resultType(), 1L, Long::sum);
            }
            inputTokens += j.inputTokens();
            outputTokens += j.outputTokens();
            cost += j.costMicros();
            // submitted, finished, completed, degraded, failed, input, output, cost
            long[] b = buckets.computeIfAbsent(query.bucket().start(j.createdAt()), k -> new long[8]);
            b[0]++;
            b[5] += j.inputTokens();
            b[6] += j.outputTokens();
            b[7] += j.costMicros();
            if (j.startedAt() != null) {
                queue.add(millis(j.createdAt(), j.startedAt()));
            }
            if (!j.status().isTerminal()) {
                continue;
            }
            finished++;
            b[1]++;
            switch (j.status()) {
                case COMPLETED -> b[2]++;
                case DEGRADED -> b[3]++;
                case FAILED -> b[4]++;
                default -> {
                }
            }
            if (j.retries() > 0) {
                retried++;
            }
            if (j.status() == JobStatus.DEGRADED) {
                rescuedBy.merge(rescuer(j.fallbackPath()), 1L, Long::sum);
            }
            if (j.completedAt() != null) {
                total.add(millis(j.createdAt(), j.completedAt()));
                if (j.startedAt() != null) {
                    run.add(millis(j.startedAt(), j.completedAt()));
                }
            }
        }
        Map<String, Double> byRung = new TreeMap<>();
        for (Map.Entry<String, Long> e : rescuedBy.entrySet()) {
            byRung.put(e.getKey(), (double) e.getValue() / finished);
        }
        long checked = 0;
        long firstPass = 0;
        Map<List<String>, List<Long>> stageMillis = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0)) ? a.get(1).compareTo(b.get(1)) : a.get(0).compareTo(b.get(0)));
        for (StageFact s : stages) {
            if (s.validation() != null) {
                checked++;
                if ("passed".equals(s.validation())) {
                    firstPass++;
                }
            }
            List<Long> ms = stageMillis.computeIfAbsent(List.of(s.workflow(), s.stageId()), k -> new ArrayList<>());
            if (s.runMillis() >= 0) {
                ms.add(s.runMillis());
            }
        }
        List<StageLatency> stageLatencies = new ArrayList<>();
        stageMillis.forEach((key, ms) -> stageLatencies.add(new StageLatency(key.get(0), key.get(1), ms.size(), Percentiles.of(ms, 0L))));
        List<Bucket> series = new ArrayList<>();
        buckets.forEach((start, b) -> series.add(new Bucket(start, b[0], b[1], b[2], b[3], b[4], rate(b[2], b[1]), b[5], b[6], b[7])));
        long completed = byStatus.getOrDefault(JobStatus.COMPLETED, 0L);
        long degraded = byStatus.getOrDefault(JobStatus.DEGRADED, 0L);
        return new JobStats(query, jobs.size(), finished, byStatus, byResultType, rate(completed, finished), rate(retried, finished),
                rate(degraded, finished), byRung, rate(firstPass, checked), Percentiles.of(queue, 0L), Percentiles.of(run, 0L),
                Percentiles.of(total, 0L), stageLatencies, inputTokens, outputTokens, cost, series);
    }

    /**
     * Summarises the counts of a {@link Tally}: the same figures as {@link #of(StatsQuery, Collection, Collection)}
     * over the same jobs, but for the latency percentiles, which come from the histogram's bins:
     * each is the highest value of the bin the exact percentile falls in, so never below it and at
     * most 12.5% above it (exact under 16 ms).
     */
    public static JobStats of(StatsQuery query, Tally tally) {
        Map<JobStatus, Long> byStatus = new EnumMap<>(JobStatus.class);
        Map<ResultType, Long> byResultType = new EnumMap<>(ResultType.class);
        Map<String, Long> rescuedBy = new TreeMap<>();
        Map<Instant, long[]> buckets = new TreeMap<>();
        Map<Integer, Long> queue = new TreeMap<>();
        Map<Integer, Long> run = new TreeMap<>();
        Map<Integer, Long> total = new TreeMap<>();
        Map<List<String>, Map<Integer, Long>> stageBins = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0)) ? a.get(1).compareTo(b.get(1)) : a.get(0).compareTo(b.get(0)));
        long retried = 0;
        long checked = 0;
        long firstPass = 0;
        long[] usage = new long[3];
        for (Map.Entry<String, Map<Instant, Map<Tally.Key, Long>>> wf : tally.counts().entrySet()) {
            for (Map.Entry<Instant, Map<Tally.Key, Long>> at : wf.getValue().entrySet()) {
                // submitted, finished, completed, degraded, failed, input, output, cost
                long[] b = new long[8];
                for (Map.Entry<Tally.Key, Long> e : at.getValue().entrySet()) {
                    String label = e.getKey().label();
                    long n = e.getValue();
                    switch (e.getKey().metric()) {
                        case Tally.STATUS -> {
                            JobStatus st = JobStatus.fromWire(label);
                            byStatus.merge(st, n, Long::sum);
                            b[0] += n;
                            if (st.isTerminal()) {
                                b[1] += n;
                            }
                            switch (st) {
                                case COMPLETED -> b[2] += n;
                                case DEGRADED -> b[3] += n;
                                case FAILED -> b[4] += n;
                                default -> {
                                }
                            }
                        }
                        case Tally.RESULT -> byResultType.merge(ResultType.fromWire(label), n, Long::sum);
                        case Tally.INPUT_TOKENS -> b[5] += n;
                        case Tally.OUTPUT_TOKENS -> b[6] += n;
                        case Tally.COST -> b[7] += n;
                        case Tally.RETRIED -> retried += n;
                        case Tally.RUNG -> rescuedBy.merge(label, n, Long::sum);
                        case Tally.QUEUE -> queue.merge(Integer.parseInt(label), n, Long::sum);
                        case Tally.RUN -> run.merge(Integer.parseInt(label), n, Long::sum);
                        case Tally.TOTAL -> total.merge(Integer.parseInt(label), n, Long::sum);
                        case Tally.STAGE -> {
                            int slash = label.lastIndexOf('/');
                            stageBins.computeIfAbsent(List.of(wf.getKey(), label.substring(0, slash)), k -> new TreeMap<>())
                                    .merge(Integer.parseInt(label.substring(slash + 1)), n, Long::sum);
                        }
                        case Tally.VALIDATION -> {
                            if ("checked".equals(label)) {
                                checked += n;
                            } else {
                                firstPass += n;
                            }
                        }
                        default -> throw new IllegalStateException("unknown stats count '" + e.getKey().metric() + "' of workflow " + wf.getKey()
                                + ". Indicates a bug.");
                    }
                }
                usage[0] += b[5];
                usage[1] += b[6];
                usage[2] += b[7];
                if (b[0] > 0) {
                    long[] sum = buckets.computeIfAbsent(at.getKey(), k -> new long[8]);
                    for (int i = 0; i < 8; i++) {
                        sum[i] += b[i];
                    }
                }
            }
        }
        long submitted = byStatus.values().stream().mapToLong(Long::longValue).sum();
        long finished = byStatus.entrySet().stream().filter(e -> e.getKey().isTerminal()).mapToLong(Map.Entry::getValue).sum();
        Map<String, Double> byRung = new TreeMap<>();
        for (Map.Entry<String, Long> e : rescuedBy.entrySet()) {
            byRung.put(e.getKey(), (double) e.getValue() / finished);
        }
        List<StageLatency> stageLatencies = new ArrayList<>();
        stageBins.forEach((key, bins) -> {
            Map<Integer, Long> timed = new TreeMap<>(bins);
            timed.remove(LatencyBins.NONE);
            stageLatencies.add(new StageLatency(key.get(0), key.get(1), timed.values().stream().mapToLong(Long::longValue).sum(), binned(timed)));
        });
        List<Bucket> series = new ArrayList<>();
        buckets.forEach((start, b) -> series.add(new Bucket(start, b[0], b[1], b[2], b[3], b[4], rate(b[2], b[1]), b[5], b[6], b[7])));
        long completed = byStatus.getOrDefault(JobStatus.COMPLETED, 0L);
        long degraded = byStatus.getOrDefault(JobStatus.DEGRADED, 0L);
        return new JobStats(query, submitted, finished, byStatus, byResultType, rate(completed, finished), rate(retried, finished),
                rate(degraded, finished), byRung, rate(firstPass, checked), binned(queue), binned(run), binned(total), stageLatencies,
                usage[0], usage[1], usage[2], series);
    }

    /** Percentiles by nearest rank over counts per bin, each the highest value of its bin. */
    private static Percentiles<Long> binned(Map<Integer, Long> bins) {
        long n = bins.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0) {
            return Percentiles.of(List.of(), 0L);
        }
        long[] at = new long[] {rank(n, 50), rank(n, 90), rank(n, 95), rank(n, 99), n - 1};
        long[] out = new long[at.length];
        long seen = 0;
        int next = 0;
        for (Map.Entry<Integer, Long> e : bins.entrySet()) {
            seen += e.getValue();
            while (next < at.length && at[next] < seen) {
                out[next++] = LatencyBins.high(e.getKey());
            }
        }
        return new Percentiles<>(out[0], out[1], out[2], out[3], out[4]);
    }

    /** The 0-based index of the nearest-rank {@code p}th percentile of {@code n} values, as {@link Percentiles#rank} picks it. */
    private static long rank(long n, int p) {
        return Math.max(0, Math.min(n - 1, (long) Math.ceil(p / 100.0 * n) - 1));
    }

    /**
     * The rung whose result a degraded job holds: the last ladder rung of its path, else the
     * route's next target (the job was rerouted and the next target answered).
     */
    static String rescuer(List<String> path) {
        Optional<String> last = path.isEmpty() ? Optional.empty() : Optional.of(FallbackPath.rung(path.getLast()));
        return last.orElse(FallbackPath.NEXT_TARGET);
    }

    private static long millis(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }

    private static OptionalDouble rate(long part, long whole) {
        return whole == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) part / whole);
    }
}
