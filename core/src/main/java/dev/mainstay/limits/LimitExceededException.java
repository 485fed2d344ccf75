package dev.mainstay.limits;

import dev.mainstay.MainstayException;

/**
 * A submit refused by an account or workflow limit ({@code rate_limited}, {@code quota_exceeded}
 * or {@code budget_exceeded}). Nothing was queued; {@link #hit()} names the limit.
 */
public final class LimitExceededException extends MainstayException {
    private final transient LimitHit hit;

    public LimitExceededException(LimitHit hit) {
        super(hit.code(), hit.message(), hit.retryAfter().orElse(null), false);
        this.hit = hit;
    }

    public LimitHit hit() {
        return hit;
    }
}
