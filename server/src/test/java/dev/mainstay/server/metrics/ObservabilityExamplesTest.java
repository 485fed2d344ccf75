package dev.mainstay.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.metrics.CallClass;
import dev.mainstay.metrics.CheckResult;
import dev.mainstay.metrics.ModelCall;
import dev.mainstay.metrics.StageEnd;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.config.YamlDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The shipped alerting rules, the Grafana dashboard and the metric table of
 * docs/observability.md against the metrics a node really exposes.
 */
class ObservabilityExamplesTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern METRIC = Pattern.compile("\\b((?:mainstay|jvm|process|system)_[a-z0-9_]+)\\b");

    /** Every metric family a node exposes once each of its metrics has been touched. */
    static Set<String> exposedFamilies() {
        PrometheusMetrics m = new PrometheusMetrics();
        m.submitted("w", 1);
        m.refused("w", 1, "rate_limited");
        m.claimed("w", 1, Duration.ofMillis(5));
        m.finished("w", 1, JobStatus.COMPLETED, ResultType.FULL, Duration.ofMillis(5), Duration.ofMillis(9));
        m.stageEnded("w", 1, "s", StageEnd.COMPLETED, Duration.ofMillis(5));
        m.modelCall(new ModelCall("w", "s", "p", "m", CallClass.OK, Duration.ofMillis(5), 3, 1, 2, 4));
        m.outputChecked("w", "s", false, CheckResult.PASSED);
        m.retryScheduled("w", "s", "provider_unavailable");
        m.fallbackRung("w", "s", "cached", true);
        m.committed(Duration.ofMillis(1), 1);
        m.httpRequest("GET", "/metrics", 200, Duration.ofMillis(1));
        NodeGauges.register(m, () -> new QueueSnapshot(Map.of(), Duration.ZERO, 0, 0, Duration.ZERO, 0, 0), () -> 0,
                () -> List.of(new NodeGauges.Breaker("p", "m", false)), Clock.systemUTC(), Duration.ofSeconds(1));
        dev.mainstay.store.EvalRun run = new dev.mainstay.store.EvalRun("evr_1", "w", 1, "s", "h", "cli", 1, dev.mainstay.store.EvalRun.Status.COMPLETED,
                java.time.Instant.EPOCH, java.time.Instant.EPOCH, dev.mainstay.Json.object().put("quality", 0.5));
        EvalGauges.register(m, () -> List.of(new dev.mainstay.store.EvalRunStore.EvalRunTally("w", 1, "s", 1, run)), Clock.systemUTC(), Duration.ZERO);
        RateLimitGauges.register(m, () -> List.of(new dev.mainstay.routing.TargetLimits.Snapshot(new dev.mainstay.provider.Target("p", "m"),
                List.of(new dev.mainstay.routing.TargetLimits.Budget("requests", 50, 0, java.time.Instant.EPOCH, dev.mainstay.routing.TargetLimits.Source.HEADERS,
                        java.time.Instant.EPOCH)), java.time.Instant.EPOCH)));
        return PrometheusText.parse(m.scrape()).families();
    }

    /** Whether {@code name}, as a query writes it, is a sample name of one of {@code families}. */
    static boolean exposed(String name, Set<String> families) {
        if (families.contains(name)) {
            return true;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (name.endsWith(suffix) && families.contains(name.substring(0, name.length() - suffix.length()))) {
                return true;
            }
        }
        return false;
    }

    static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void promtoolAcceptsTheAlertingRules() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(ROOT.resolve("examples/prometheus"))) {
            files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        Promtool.Result r = Promtool.checkRules(files);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyMetricTheAlertingRulesNameExists() {
        Set<String> families = exposedFamilies();
        YamlDocument rules = YamlDocument.read(ROOT.resolve("examples/prometheus/mainstay-alerts.yml"), "mainstay-alerts.yml");
        int exprs = 0;
        for (JsonNode group : rules.root().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String expr = rule.path("expr").asString();
                assertThat(metricNames(expr)).as(rule.path("alert").asString()).isNotEmpty()
                        .allSatisfy(n -> assertThat(exposed(n, families)).as(n + " in " + rule.path("alert").asString()).isTrue());
                exprs++;
            }
        }
        assertThat(exprs).isGreaterThanOrEqualTo(5);
    }

    @Test
    void everyQueryOfTheGrafanaDashboardNamesAnExistingMetric() throws Exception {
        Set<String> families = exposedFamilies();
        try (Stream<Path> s = Files.list(ROOT.resolve("examples/grafana"))) {
            for (Path file : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode dashboard = Json.MAPPER.readTree(Files.readString(file));
                assertThat(dashboard.path("panels").isArray()).as(file.toString()).isTrue();
                int queries = 0;
                for (JsonNode panel : dashboard.path("panels")) {
                    for (JsonNode target : panel.path("targets")) {
                        String expr = target.path("expr").asString();
                        assertThat(metricNames(expr)).as(panel.path("title").asString()).isNotEmpty()
                                .allSatisfy(n -> assertThat(exposed(n, families)).as(n + " in panel " + panel.path("title").asString()).isTrue());
                        queries++;
                    }
                }
                String variables = dashboard.path("templating").toString();
                metricNames(variables).forEach(n -> assertThat(exposed(n, families)).as(n + " in a variable").isTrue());
                assertThat(queries).as(file.toString()).isGreaterThanOrEqualTo(15);
            }
        }
    }

    @Test
    void theDocumentedMetricsAreExactlyTheExposedOnes() throws Exception {
        Set<String> families = exposedFamilies();
        String doc = Files.readString(ROOT.resolve("docs/observability.md"));
        Set<String> documented = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `(mainstay_[a-z0-9_]+)` \\|").matcher(doc);
        while (row.find()) {
            documented.add(row.group(1));
        }
        Set<String> ours = new TreeSet<>();
        for (String f : families) {
            if (f.startsWith("mainstay_") && !f.endsWith("_max")) {
                ours.add(f);
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(ours);
        // The PromQL examples of the page name only metrics that exist too.
        Matcher block = Pattern.compile("(?s)```promql\\n(.*?)```").matcher(doc);
        int blocks = 0;
        while (block.find()) {
            metricNames(block.group(1)).forEach(n -> assertThat(exposed(n, families)).as(n + " in docs/observability.md").isTrue());
            blocks++;
        }
        assertThat(blocks).isGreaterThanOrEqualTo(5);
    }
}
