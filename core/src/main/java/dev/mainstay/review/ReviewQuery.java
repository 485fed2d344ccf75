package dev.mainstay.review;

/** A page request over one account's reviews (every account's when {@code accountId} is null, for operators), newest first; {@code cursor} is the last id seen. */
public record ReviewQuery(String accountId, Review.Status status, String workflow, int limit, String cursor) {
    public ReviewQuery {
        if (limit < 1 || limit > 500) {
            throw new IllegalArgumentException("limit must be between 1 and 500, got " + limit);
        }
    }
}
