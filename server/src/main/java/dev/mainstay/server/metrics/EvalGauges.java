package dev.mainstay.server.metrics;

import dev.mainstay.store.EvalRunStore.EvalRunTally;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Eval quality on {@code /metrics}: {@code mainstay_eval_score}, the quality score of the latest
 * finished run of each workflow version and suite, and {@code mainstay_eval_runs_total}, the runs
 * that finished. Both are read from the store (the cluster's, the same on every node), at most
 * once per {@code maxAge} however often Prometheus scrapes.
 */
public final class EvalGauges {
    private final Supplier<List<EvalRunTally>> source;
    private final Clock clock;
    private final Duration maxAge;
    private final MultiGauge scores;
    private final PrometheusMetrics metrics;
    private final Map<Tags, Long> finished = new ConcurrentHashMap<>();
    private final Set<Tags> counted = new HashSet<>();
    private Instant readAt;

    private EvalGauges(PrometheusMetrics metrics, Supplier<List<EvalRunTally>> source, Clock clock, Duration maxAge) {
        this.metrics = metrics;
        this.source = source;
        this.clock = clock;
        this.maxAge = maxAge;
        this.scores = metrics.multiGauge("mainstay.eval.score",
                "Quality score (0 to 1) of the latest finished eval run of each workflow version and suite (the cluster's)");
    }

    /** Registers both on {@code metrics}, refreshed before each scrape from {@code tallies} (the store's). */
    public static void register(PrometheusMetrics metrics, Supplier<List<EvalRunTally>> tallies, Clock clock, Duration maxAge) {
        EvalGauges g = new EvalGauges(metrics, tallies, clock, maxAge);
        metrics.beforeScrape(g::refresh);
    }

    private synchronized void refresh() {
        Instant now = clock.instant();
        if (readAt != null && now.isBefore(readAt.plus(maxAge))) {
            return;
        }
        readAt = now;
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (EvalRunTally t : source.get()) {
            Tags tags = Tags.of("workflow", t.workflow(), "version", Integer.toString(t.version()), "suite", t.suite());
            finished.put(tags, t.finished());
            if (counted.add(tags)) {
                metrics.functionCounter("mainstay.eval.runs", "Eval runs that finished, by workflow version and suite (the cluster's)", tags, finished,
                        m -> m.getOrDefault(tags, 0L));
            }
            if (t.latest().summary() != null && t.latest().summary().path("quality").isNumber()) {
                rows.add(MultiGauge.Row.of(tags, t.latest().summary().path("quality").asDouble()));
            }
        }
        scores.register(rows, true);
    }
}
