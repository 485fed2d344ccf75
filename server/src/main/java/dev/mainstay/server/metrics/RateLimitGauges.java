package dev.mainstay.server.metrics;

import dev.mainstay.routing.TargetLimits;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Route targets' rate limits on {@code /metrics}, this node's own, labelled by target only:
 * {@code mainstay_target_rate_limited} is 1 while a budget the provider's headers reported as used
 * up holds the target back, and {@code mainstay_target_requests_remaining} is what the headers
 * last said remained of the target's request budget. Read from memory at each scrape.
 */
public final class RateLimitGauges {
    private final Supplier<List<TargetLimits.Snapshot>> source;
    private final MultiGauge limited;
    private final MultiGauge remaining;

    private RateLimitGauges(PrometheusMetrics metrics, Supplier<List<TargetLimits.Snapshot>> source) {
        this.source = source;
        this.limited = metrics.multiGauge("mainstay.target.rate.limited",
                "1 while a budget a route target's rate-limit headers reported as used up holds its calls back on this node, else 0");
        this.remaining = metrics.multiGauge("mainstay.target.requests.remaining",
                "Requests left of a route target's request budget, as its rate-limit headers last reported");
    }

    /** Registers both on {@code metrics}, refreshed before each scrape from {@code targets} (the engine's). */
    public static void register(PrometheusMetrics metrics, Supplier<List<TargetLimits.Snapshot>> targets) {
        RateLimitGauges g = new RateLimitGauges(metrics, targets);
        metrics.beforeScrape(g::refresh);
    }

    private synchronized void refresh() {
        List<MultiGauge.Row<?>> limitedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> remainingRows = new ArrayList<>();
        for (TargetLimits.Snapshot t : source.get()) {
            Tags tags = Tags.of("provider", t.target().provider(), "model", t.target().model());
            limitedRows.add(MultiGauge.Row.of(tags, t.limitedUntil() != null ? 1 : 0));
            for (TargetLimits.Budget b : t.budgets()) {
                if (b.source() == TargetLimits.Source.HEADERS && b.name().equals("requests") && b.remaining() >= 0) {
                    remainingRows.add(MultiGauge.Row.of(tags, b.remaining()));
                }
            }
        }
        limited.register(limitedRows, true);
        remaining.register(remainingRows, true);
    }
}
