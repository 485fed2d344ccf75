package dev.mainstay.stats;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Instant;
import java.util.List;

/**
 * What a summary needs of one job, as the store reads it: no input, no result, no account.
 *
 * @param resultType {@code null} while unfinished or when the job ended without a result
 * @param retries how many times a retry of one of its stages was scheduled
 * @param fallbackPath its provenance's {@code fallback_path}, empty when it kept to the ideal path
 */
public record JobFact(String workflow, int version, JobStatus status, ResultType resultType, Instant createdAt, Instant startedAt,
                      Instant completedAt, long inputTokens, long outputTokens, long costMicros, int retries, List<String> fallbackPath) {
    public JobFact {
        fallbackPath = fallbackPath == null ? List.of() : List.copyOf(fallbackPath);
    }
}
