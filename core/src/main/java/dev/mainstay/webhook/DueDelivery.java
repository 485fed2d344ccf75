package dev.mainstay.webhook;

import java.util.List;

/**
 * A delivery leased to a node for one attempt, with what the attempt needs: the endpoint (its URL
 * as it is now, not as it was when the event was committed) and its live secrets, still sealed.
 */
public record DueDelivery(Delivery delivery, WebhookEndpoint endpoint, List<SealedSecret> secrets) {
    public DueDelivery {
        secrets = List.copyOf(secrets);
    }

    /** A signing secret as the store keeps it: sealed under the secrets key, bound to {@code endpointId/id}. */
    public record SealedSecret(String endpointId, String id, String sealed) {
        /** What the seal binds the secret to, so it opens on this row only. */
        public String boundTo() {
            return endpointId + "/" + id;
        }

        @Override
        public String toString() {
            return "SealedSecret[" + boundTo() + "]";
        }
    }
}
