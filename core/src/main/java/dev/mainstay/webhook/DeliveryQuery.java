package dev.mainstay.webhook;

import java.util.Objects;

/**
 * A page of an endpoint's deliveries, newest first.
 *
 * @param status only deliveries in this state, or null for all
 * @param eventType only this event type, or null
 * @param jobId only this job's, or null
 * @param cursor the last delivery id of the previous page, or null
 */
public record DeliveryQuery(String accountId, String endpointId, Delivery.Status status, String eventType, String jobId, String cursor, int limit) {
    public static final int MAX_LIMIT = 200;

    public DeliveryQuery {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(endpointId, "endpointId");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", got " + limit);
        }
    }
}
