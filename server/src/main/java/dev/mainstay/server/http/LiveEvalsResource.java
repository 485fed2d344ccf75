package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.config.YamlDocument;
import dev.mainstay.engine.EvalRuns;
import dev.mainstay.evals.DriftReport;
import dev.mainstay.evals.ShadowComparison;
import dev.mainstay.store.DriftSample;
import dev.mainstay.store.ShadowRun;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.DriftPolicy;
import dev.mainstay.workflow.ShadowPolicy;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Evals of live traffic, for operators (docs/evals.md): what shadow runs found against the live
 * jobs they copy, and the drift of a workflow's reference-free figures between two windows.
 */
final class LiveEvalsResource implements HttpService {
    /** The newest shadow runs a report reads. */
    static final int SHADOW_LIMIT = 10_000;
    /** The jobs a drift window samples at most (the newest of the window). */
    static final int DRIFT_SAMPLE = 5_000;
    static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
    static final Duration MAX_WINDOW = Duration.ofDays(31);

    private final Store store;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final Authenticator auth;

    LiveEvalsResource(Store store, WorkflowRegistry registry, Clock clock, Authenticator auth) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/evals/shadow", handler(this::shadow))
                .get("/v1/admin/evals/drift", handler(this::drift));
    }

    private String workflow(QueryParameters query) {
        Optional<String> workflow = query.text("workflow");
        if (workflow.isEmpty()) {
            query.error("workflow", "is required: the name of a loaded workflow, e.g. leads/classify");
        }
        return workflow.orElse(null);
    }

    private WorkflowDefinition active(String workflow) {
        return registry.active(workflow).orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND, "no workflow " + workflow + " is loaded"));
    }

    private Reply shadow(ServerRequest req) {
        auth.admin(req);
        QueryParameters query = QueryParameters.of(req);
        String workflow = workflow(query);
        query.check("the shadow report query is not valid");
        WorkflowDefinition d = active(workflow);
        List<ShadowRun> runs = store.shadowRuns(workflow, Instant.EPOCH, SHADOW_LIMIT);
        List<JsonNode> scored = new ArrayList<>();
        TreeMap<String, int[]> pairs = new TreeMap<>(); // "live->shadow" -> {sampled, scored}
        int pending = 0;
        for (ShadowRun r : runs) {
            int[] n = pairs.computeIfAbsent(r.liveVersion() + "->" + r.shadowVersion(), k -> new int[2]);
            n[0]++;
            if (r.scored() && !r.result().has("skipped")) {
                scored.add(r.result());
                n[1]++;
            } else if (!r.scored()) {
                pending++;
            }
        }
        ShadowComparison.Summary summary = ShadowComparison.summarize(scored);
        ObjectNode out = Json.object();
        out.put("workflow", workflow);
        Optional<ShadowPolicy> policy = d.shadow();
        if (policy.isPresent()) {
            out.putObject("shadow").put("live_version", d.version()).put("version", policy.get().version()).put("sample", policy.get().sample())
                    .set("agree_on", Json.MAPPER.valueToTree(policy.get().agreeOn()));
        } else {
            out.putNull("shadow");
        }
        out.put("sampled", runs.size());
        out.put("shadow_runs", summary.scored());
        out.put("pending", pending);
        var versions = out.putArray("versions");
        pairs.forEach((k, n) -> {
            String[] v = k.split("->");
            versions.addObject().put("live_version", Integer.parseInt(v[0])).put("shadow_version", Integer.parseInt(v[1])).put("sampled", n[0]).put("scored", n[1]);
        });
        ObjectNode agreement = out.putObject("agreement");
        summary.agreement().forEach((field, a) -> agreement.putObject(field).put("compared", a.compared()).put("agreed", a.agreed())
                .put("rate", Math.round(a.rate() * 10_000) / 10_000.0));
        ObjectNode scores = out.putObject("scores");
        summary.scores().forEach((name, s) -> scores.putObject(name).put("runs", s.runs()).put("live_mean", Math.round(s.liveMean() * 10_000) / 10_000.0)
                .put("shadow_mean", Math.round(s.shadowMean() * 10_000) / 10_000.0));
        return Reply.json(200, out);
    }

    private Reply drift(ServerRequest req) {
        auth.admin(req);
        QueryParameters query = QueryParameters.of(req);
        String workflow = workflow(query);
        Duration window = DEFAULT_WINDOW;
        Optional<String> w = query.text("window");
        if (w.isPresent()) {
            Optional<Duration> parsed = YamlDocument.parseDuration(w.get());
            if (parsed.isEmpty() || parsed.get().isZero() || parsed.get().compareTo(MAX_WINDOW) > 0) {
                query.error("window", "must be a duration from 1s to 31d, e.g. 15m, 1h or 7d; got '" + w.get() + "'");
            } else {
                window = parsed.get();
            }
        }
        query.check("the drift query is not valid");
        WorkflowDefinition d = active(workflow);
        DriftPolicy policy = d.drift();
        Instant to = clock.instant();
        Instant from = to.minus(window);
        Instant before = from.minus(window);
        List<DriftSample> current = store.driftSamples(workflow, EvalRuns.ACCOUNT, from, to, DRIFT_SAMPLE);
        List<DriftSample> previous = store.driftSamples(workflow, EvalRuns.ACCOUNT, before, from, DRIFT_SAMPLE);
        ObjectNode out = Json.object();
        out.put("workflow", workflow);
        out.put("window", window.toString());
        out.putObject("current_window").put("from", from.toString()).put("to", to.toString()).put("jobs", current.size())
                .put("sampled", current.size() >= DRIFT_SAMPLE);
        out.putObject("previous_window").put("from", before.toString()).put("to", from.toString()).put("jobs", previous.size())
                .put("sampled", previous.size() >= DRIFT_SAMPLE);
        out.set("fields", Json.MAPPER.valueToTree(policy.fields()));
        out.setAll(DriftReport.of(current, previous, policy.fields()));
        return Reply.json(200, out);
    }
}
