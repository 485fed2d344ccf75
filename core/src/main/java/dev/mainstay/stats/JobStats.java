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
