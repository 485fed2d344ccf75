package dev.mainstay.webhook;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An account's registered receiver: where its events go and which. Its signing secrets are kept
 * apart, sealed ({@link SecretBox}), and never part of this value.
 *
 * @param workflow the only workflow whose events it receives, or null for every workflow
 * @param disabledReason why it is disabled (410 from the receiver, failing since a given time, its
 *     owner), or null while enabled
 * @param failingSince when the attempts to it started failing without a success since, or null
 * @param maxConcurrency attempts to it in flight at once, across the cluster
 */
public record WebhookEndpoint(String id, String accountId, URI url, List<String> events, String workflow, String description, boolean enabled,
                              String disabledReason, Instant failingSince, int maxConcurrency, Instant createdAt, Instant updatedAt) {
    public static final int DEFAULT_MAX_CONCURRENCY = 4;

    public WebhookEndpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(url, "url");
        events = List.copyOf(events);
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("endpoint " + id + ": maxConcurrency must be at least 1, got " + maxConcurrency);
        }
    }

    public WebhookEndpoint withEnabled(boolean on, String reason, Instant at) {
        return new WebhookEndpoint(id, accountId, url, events, workflow, description, on, on ? null : reason, on ? null : failingSince, maxConcurrency,
                createdAt, at);
    }
}
