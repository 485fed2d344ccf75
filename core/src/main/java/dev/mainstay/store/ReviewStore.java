package dev.mainstay.store;

import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Reviews: a human's decision on a stage's output. A review is opened by the transition that
 * makes its job wait ({@link JobTransition#review()}) and decided together with the job's next one.
 */
public interface ReviewStore {
    Optional<Review> review(String id);

    /** One account's reviews, newest first, at most {@code query.limit()}. */
    List<Review> reviews(ReviewQuery query);

    /** Pending reviews whose expiry has passed, oldest first. */
    List<Review> expiredReviews(Instant now, int max);

    /**
     * Records a decision on a pending review and applies {@code job} in the same transaction.
     *
     * @return false (and nothing changed) when the review was no longer pending
     * @throws StoreException when the job transition no longer applies; nothing is changed then either
     */
    boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job);

    /** Closes a cancelled job's pending reviews as rejected by {@code reviewer}; returns how many. */
    int closeReviews(String jobId, String reviewer, Instant at);
}
