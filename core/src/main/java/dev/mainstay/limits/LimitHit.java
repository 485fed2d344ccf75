package dev.mainstay.limits;

import dev.mainstay.ErrorCode;
import java.time.Duration;
import java.util.Optional;

/**
 * A limit that refused a request or a model call.
 *
 * @param code {@code rate_limited}, {@code quota_exceeded} or {@code budget_exceeded}
 * @param limit the name of the limit, e.g. {@code cost_per_month_usd}
 * @param scope what it applies to, e.g. {@code account acme} or {@code job job_…}
 * @param message what happened and what to do, for people
 * @param retryAfter how long until a retry may succeed, when waiting helps
 */
public record LimitHit(ErrorCode code, String limit, String scope, String message, Optional<Duration> retryAfter) {
}
