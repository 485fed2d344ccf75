package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.home;
import static dev.mainstay.server.console.Console.options;
import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.seconds;
import static dev.mainstay.server.console.Console.view;

import dev.mainstay.engine.Engine;
import dev.mainstay.job.JobStatus;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.stats.JobStats;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.Tally;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The overview: queue, in flight, breakers and each workflow's figures over a window, from the store's pre-bucketed counts. */
final class OverviewPage {

    private final Engine engine;
    private final ProvidersPage providers;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;

    OverviewPage(Engine engine, ProvidersPage providers, WorkflowRegistry registry, Store store, Clock clock) {
        this.engine = engine;
        this.providers = providers;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
    }

    Answer overview(ServerRequest req, Session s) {
        Role role = Role.of(s.principal());
        if (role != Role.ADMIN) {
            return redirect(home(role));
        }
        String windowText = param(req, "window").filter(w -> List.of("1h", "24h", "7d").contains(w)).orElse("24h");
        Instant now = clock.instant();
        Summary summary = summary(windowText, now);
        Map<String, Object> model = new LinkedHashMap<>(summary.model());
        model.put("asOf", summary.at().toString());
        model.put("inFlight", engine.runningCount());
        model.put("breakers", providers.breakers());
        model.put("title", "Overview");
        return view("overview", model);
    }

    /** The overview's figures for one window as computed at {@code at}. */
    private record Summary(Instant at, Map<String, Object> model) {
    }

    /**
     * What the overview reads from the store: the queue and the window's counts, most of them
     * pre-bucketed by the stats fold, so every view computes its figures afresh.
     */
    private Summary summary(String windowText, Instant now) {
        Map<String, Object> model = new LinkedHashMap<>();
        QueueSnapshot q = store.queueSnapshot(now);
        List<Map<String, Object>> queue = new ArrayList<>();
        for (JobStatus st : JobStatus.values()) {
            Long n = q.unfinished().get(st);
            if (n != null && n > 0) {
                queue.add(Map.of("status", st.wire(), "count", n));
            }
        }
        model.put("queue", queue);
        model.put("oldestDue", q.oldestDue() == null || q.oldestDue().isZero() ? "none" : seconds(q.oldestDue()));
        model.put("deadLetters", q.deadLetters());
        model.put("openReviews", q.openReviews());
        Duration window = switch (windowText) {
            case "1h" -> Duration.ofHours(1);
            case "7d" -> Duration.ofDays(7);
            default -> Duration.ofHours(24);
        };
        model.put("windows", options(List.of("1h", "24h", "7d"), window.equals(Duration.ofHours(1)) ? "1h" : window.equals(Duration.ofDays(7)) ? "7d" : "24h"));
        StatsQuery.Bucket bucket = window.compareTo(Duration.ofDays(2)) > 0 ? StatsQuery.Bucket.DAY : StatsQuery.Bucket.HOUR;
        StatsQuery all = new StatsQuery(Optional.empty(), Optional.empty(), now.minus(window), now.plusMillis(1), bucket);
        Tally tally = store.tally(all);
        model.put("chart", Chart.finished(JobStats.of(all, tally).series()));
        List<Map<String, Object>> workflows = new ArrayList<>();
        for (WorkflowDefinition w : registry.all().stream().sorted(Comparator.comparing(WorkflowDefinition::name)).toList()) {
            StatsQuery one = new StatsQuery(Optional.empty(), Optional.of(w.name()), all.from(), all.to(), bucket);
            JobStats st = JobStats.of(one, tally.only(w.name()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.name());
            m.put("version", w.version());
            m.put("submitted", st.submitted());
            m.put("success", percent(st.successRate()));
            m.put("fallback", percent(st.fallbackRate()));
            m.put("retry", percent(st.retryRate()));
            m.put("firstPass", percent(st.validationFirstPassRate()));
            m.put("p50", st.finished() == 0 ? "–" : st.totalMillis().p50() + " ms");
            m.put("p95", st.finished() == 0 ? "–" : st.totalMillis().p95() + " ms");
            m.put("cost", AccountLimits.Money.usd(st.costMicros()));
            workflows.add(m);
        }
        model.put("workflows", workflows);
        return new Summary(now, model);
    }

    private static String percent(java.util.OptionalDouble rate) {
        return rate.isPresent() ? String.format(java.util.Locale.ROOT, "%.1f%%", rate.getAsDouble() * 100) : "–";
    }
}
