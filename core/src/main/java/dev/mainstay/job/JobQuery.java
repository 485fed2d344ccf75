package dev.mainstay.job;

import java.util.Optional;

/**
 * A page request over one account's jobs, newest first. {@code cursor} is the id of the last job
 * of the previous page. Every filter is optional ({@code null}); an operator's query may leave
 * {@code accountId} out to page over every account.
 *
 * @param resultType a result type's wire name ({@code full}, {@code draft}, {@code fallback})
 * @param errorCode an error code's wire name, e.g. {@code provider_unavailable}
 * @param idempotencyKey the {@code Idempotency-Key} the job was submitted with
 */
public record JobQuery(String accountId, String workflow, JobStatus status, Boolean deadLetter, String resultType, String errorCode, String idempotencyKey,
        int limit, String cursor) {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    public JobQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }

    /** A page over one account's jobs filtered by workflow, status and dead-letter state alone. */
    public JobQuery(String accountId, String workflow, JobStatus status, Boolean deadLetter, int limit, String cursor) {
        this(accountId, workflow, status, deadLetter, null, null, null, limit, cursor);
    }

    public Optional<String> workflowOpt() { return Optional.ofNullable(workflow); }
}
