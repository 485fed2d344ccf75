package dev.mainstay.limits;

import java.time.LocalDate;

/**
 * How many submits of one account one limit refused on one day (UTC), at admission, before
 * anything was stored: what the usage page and {@code GET /v1/usage} show as rate-limit refusals.
 *
 * @param kind the limit that refused: a limit's name ({@code requests_per_minute},
 *     {@code tokens_per_day}, {@code cost_per_month_usd}, {@code failure_cooldown}) or
 *     {@link #BACKLOG} when the account had as many unfinished jobs as it may
 */
public record RefusalCount(String accountId, LocalDate day, String kind, long count) {
    /** The kind of a refusal because the account's backlog of unfinished jobs was full. */
    public static final String BACKLOG = "backlog";

    public RefusalCount {
        if (count < 0) {
            throw new IllegalArgumentException("a refusal count is never negative, got " + count + " for account " + accountId + " on " + day
                    + ". Indicates a bug.");
        }
    }
}
