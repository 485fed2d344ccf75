package dev.mainstay.job;

import java.util.Optional;

/**
 * A page request over one account's jobs, newest first. {@code cursor} is the id of the last job
 * of the previous page.
 */
public record JobQuery(String accountId, String workflow, JobStatus status, Boolean deadLetter, int limit, String cursor) {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    public JobQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }

    public Optional<String> workflowOpt() { return Optional.ofNullable(workflow); }
}
