package dev.mainstay.stats;

import dev.mainstay.job.JobStatus;
import java.time.Duration;
import java.util.Map;

/**
 * The state of the whole queue at one instant, as every node of a cluster sees it in the store:
 * what metrics' gauges show.
 *
 * @param unfinished jobs by unfinished status (every unfinished status present, zero included)
 * @param oldestDue how long the job due the longest (queued or retrying, past its run time) has
 *     waited; zero when none is due
 * @param deadLetters failed jobs marked for replay
 * @param openReviews reviews waiting for a person
 * @param oldestReview the age of the oldest open review; zero when none is open
 * @param heldReservations budget reservations still held (calls in flight, or outcomes unknown)
 * @param heldMicros what those reservations hold, in millionths of a US dollar
 */
public record QueueSnapshot(Map<JobStatus, Long> unfinished, Duration oldestDue, long deadLetters, long openReviews, Duration oldestReview,
                            long heldReservations, long heldMicros) {
    public QueueSnapshot {
        unfinished = Map.copyOf(unfinished);
    }
}
