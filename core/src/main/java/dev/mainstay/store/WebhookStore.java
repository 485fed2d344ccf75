package dev.mainstay.store;

import dev.mainstay.webhook.AttemptResult;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Outbound webhooks: endpoints and their sealed secrets, and the delivery outbox. The outbox rows of
 * a job's events are written by the job's transition itself, in its transaction, for every endpoint
 * of the job's account subscribed to the event (see {@code dev.mainstay.webhook.EventTypes}); so a
 * committed event always has its deliveries, and an event that was never committed never has any.
 */
public interface WebhookStore {
    /** The account of the endpoints workflows declare ({@code notify:}): they receive the events of every account's jobs of their workflow. */
    String WORKFLOW_ACCOUNT = "*";

    /**
     * Makes {@code endpoint} (of {@link #WORKFLOW_ACCOUNT}, for one workflow) what its workflow now
     * declares, its secret the given one alone; its deliveries and their log stay.
     */
    void syncWorkflowEndpoint(WebhookEndpoint endpoint, DueDelivery.SealedSecret secret);

    /** Registers {@code endpoint} with its first secret. */
    void createEndpoint(WebhookEndpoint endpoint, DueDelivery.SealedSecret secret);

    Optional<WebhookEndpoint> endpoint(String accountId, String endpointId);

    /** The account's endpoints, oldest first. */
    List<WebhookEndpoint> endpoints(String accountId);

    /**
     * Replaces what an owner may change (URL, events, workflow, description, enabled and its reason,
     * concurrency); enabling clears the failing streak. Empty when there is no such endpoint.
     */
    Optional<WebhookEndpoint> updateEndpoint(WebhookEndpoint endpoint);

    /** Removes the endpoint, its secrets and its deliveries; false when there was none. */
    boolean deleteEndpoint(String accountId, String endpointId);

    /**
     * Adds {@code secret} as the endpoint's newest; every older secret that has no end yet keeps
     * signing until {@code oldUntil}, so receivers can switch during the overlap.
     */
    void rotateSecret(DueDelivery.SealedSecret secret, Instant at, Instant oldUntil);

    /** The endpoint's secrets that still sign at {@code now}, newest first. */
    List<DueDelivery.SealedSecret> secrets(String endpointId, Instant now);

    /** Queues a message outside any job transition (a test message), to the one endpoint. */
    Delivery enqueue(String endpointId, String messageId, String eventType, String payload, Instant at);

    /**
     * Leases up to {@code max} due deliveries of enabled endpoints to {@code owner} until
     * {@code leaseUntil}: pending, due at {@code now}, and not leased by anyone (or their lease
     * expired). Never more of one endpoint's than its {@code maxConcurrency} less those already
     * leased, across every node.
     */
    List<DueDelivery> claimDeliveries(String owner, int max, Instant now, Instant leaseUntil);

    /**
     * Writes one attempt's result, if {@code owner} still holds the delivery's lease (false, and
     * nothing written, otherwise): the attempt in the log, the delivery delivered, rescheduled or
     * dead, and the endpoint's change. The lease is released.
     */
    boolean recordAttempt(String owner, AttemptResult result);

    /** A page of an endpoint's deliveries, newest first. */
    List<Delivery> deliveries(DeliveryQuery query);

    Optional<Delivery> delivery(String accountId, String deliveryId);

    /** The attempts of a delivery, first first. */
    List<Delivery.Attempt> attempts(String deliveryId);

    /**
     * Makes dead deliveries of the endpoint pending again, due at {@code now}, with a fresh count of
     * attempts and the same {@code webhook-id}: those in {@code deliveryIds}, or every dead one when
     * it is empty. Returns how many were replayed.
     */
    int replayDeliveries(String accountId, String endpointId, List<String> deliveryIds, Instant now);

    /** Ends every lease {@code owner} holds (its earlier run's, at a restart under the same name); returns how many. */
    int recoverDeliveryLeases(String owner);

    /** When the earliest pending delivery of an enabled endpoint is due, if any. */
    Optional<Instant> nextDeliveryAt();
}
