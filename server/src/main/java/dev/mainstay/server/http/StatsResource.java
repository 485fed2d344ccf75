package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.stats.Percentiles;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.stats.JobStats;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.store.StatsStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A summary of jobs for people and the console, computed from the store so that every node
 * answers the same: {@code GET /v1/stats} for the caller's account, {@code GET /v1/admin/stats}
 * for all accounts (or one, with {@code account}). See docs/observability.md#stats.
 */
final class StatsResource implements HttpService {
    /** The range a summary covers when {@code from} is not given. */
    static final Duration DEFAULT_RANGE = Duration.ofDays(1);

    private final StatsStore store;
    private final Clock clock;
    private final Authenticator auth;

    StatsResource(StatsStore store, Clock clock, Authenticator auth) {
        this.store = store;
        this.clock = clock;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/stats", handler(req -> stats(req, Optional.of(auth.authenticate(req).accountId()))))
                .get("/v1/admin/stats", handler(req -> {
                    auth.admin(req);
                    return stats(req, req.query().first("account").asOptional());
                }));
    }

    private Reply stats(ServerRequest req, Optional<String> account) {
        QueryParameters query = QueryParameters.of(req);
        Instant now = clock.instant();
        Instant to = query.time("to", now.plusMillis(1));
        Instant from = query.time("from", to.minus(DEFAULT_RANGE));
        query.ordered(from, to);
        String bucketText = query.first("bucket").orElse(Duration.between(from, to).compareTo(Duration.ofDays(2)) > 0 ? "day" : "hour");
        StatsQuery.Bucket bucket = null;
        for (StatsQuery.Bucket b : StatsQuery.Bucket.values()) {
            if (b.wire().equals(bucketText)) {
                bucket = b;
            }
        }
        if (bucket == null) {
            query.error("bucket", "one of hour, day; got '" + bucketText + "'");
        } else if (from.isBefore(to) && Duration.between(from, to).compareTo(bucket == StatsQuery.Bucket.HOUR ? StatsQuery.MAX_HOURS : StatsQuery.MAX_DAYS) > 0) {
            query.error("from", "a summary by " + bucket.wire() + " covers at most "
                    + (bucket == StatsQuery.Bucket.HOUR ? StatsQuery.MAX_HOURS : StatsQuery.MAX_DAYS).toDays() + " days");
        }
        Optional<String> workflow = query.first("workflow");
        query.check("the stats query is not valid");
        StatsQuery q = new StatsQuery(account, workflow, from, to, bucket);
        return Reply.json(200, render(JobStats.of(q, store.tally(q))));
    }

    static ObjectNode render(JobStats s) {
        ObjectNode out = Json.object();
        s.query().accountId().ifPresent(a -> out.put("account", a));
        out.put("workflow", s.query().workflow().orElse(null));
        out.put("from", s.query().from().toString());
        out.put("to", s.query().to().toString());
        out.put("bucket", s.query().bucket().wire());
        ObjectNode jobs = out.putObject("jobs");
        jobs.put("submitted", s.submitted());
        jobs.put("finished", s.finished());
        ObjectNode byStatus = jobs.putObject("by_status");
        for (JobStatus st : JobStatus.values()) {
            byStatus.put(st.wire(), s.byStatus().getOrDefault(st, 0L));
        }
        ObjectNode byType = jobs.putObject("by_result_type");
        for (ResultType t : ResultType.values()) {
            byType.put(t.wire(), s.byResultType().getOrDefault(t, 0L));
        }
        rate(out, "success_rate", s.successRate());
        rate(out, "retry_rate", s.retryRate());
        rate(out, "fallback_rate", s.fallbackRate());
        ObjectNode byRung = out.putObject("fallback_rate_by_rung");
        for (Map.Entry<String, Double> e : s.fallbackByRung().entrySet()) {
            byRung.put(e.getKey(), round(e.getValue()));
        }
        rate(out, "validation_first_pass_rate", s.validationFirstPassRate());
        ObjectNode latency = out.putObject("latency_ms");
        latency.set("queue", percentiles(s.queueMillis()));
        latency.set("run", percentiles(s.runMillis()));
        latency.set("total", percentiles(s.totalMillis()));
        ArrayNode stages = latency.putArray("stages");
        for (JobStats.StageLatency st : s.stages()) {
            ObjectNode o = percentiles(st.millis());
            o.put("workflow", st.workflow());
            o.put("stage", st.stage());
            o.put("count", st.count());
            stages.add(o);
        }
        ObjectNode usage = out.putObject("usage");
        usage.put("input_tokens", s.inputTokens());
        usage.put("output_tokens", s.outputTokens());
        usage.put("cost_usd", usd(s.costMicros()));
        ArrayNode series = out.putArray("series");
        for (JobStats.Bucket b : s.series()) {
            ObjectNode o = Json.object();
            o.put("start", b.start().toString());
            o.put("submitted", b.submitted());
            o.put("finished", b.finished());
            o.put("completed", b.completed());
            o.put("degraded", b.degraded());
            o.put("failed", b.failed());
            rate(o, "success_rate", b.successRate());
            o.put("input_tokens", b.inputTokens());
            o.put("output_tokens", b.outputTokens());
            o.put("cost_usd", usd(b.costMicros()));
            series.add(o);
        }
        return out;
    }

    private static ObjectNode percentiles(Percentiles<Long> p) {
        return Json.object().put("p50", p.p50()).put("p95", p.p95()).put("p99", p.p99()).put("max", p.max());
    }

    private static void rate(ObjectNode o, String field, OptionalDouble value) {
        if (value.isPresent()) {
            o.put(field, round(value.getAsDouble()));
        } else {
            o.putNull(field);
        }
    }

    /** Four decimals: a rate of one job in ten thousand still shows. */
    private static double round(double v) {
        return BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_EVEN).doubleValue();
    }

    private static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).toPlainString();
    }
}
