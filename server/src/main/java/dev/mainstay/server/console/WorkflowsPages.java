package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.pretty;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.require;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Console.Versions;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.ServerRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Workflows and evals: each workflow's versions, schemas and prompts, its eval runs and their comparison; promote and roll back. */
final class WorkflowsPages {
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowsPages.class);

    private final Versions versions;
    private final WorkflowRegistry registry;
    private final Store store;

    WorkflowsPages(Versions versions, WorkflowRegistry registry, Store store) {
        this.versions = versions;
        this.registry = registry;
        this.store = store;
    }

    /** Each active workflow: its schemas, stages and prompts, and the eval runs of it with their quality over time. */
    Answer workflows(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        return workflowsPage(req, 200, null, Map.of());
    }

    private static final int MAX_REASON = 1000;

    /**
     * Promotes or rolls back a workflow: the chosen version serves from now on, audited with the
     * reason and the signed-in key as actor, as {@code POST /v1/admin/workflows/{name}/versions/{v}/activate} does.
     */
    Answer activate(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        String workflow = form.getOrDefault("workflow", "").strip();
        String versionText = form.getOrDefault("version", "").strip();
        String reason = form.getOrDefault("reason", "").strip();
        if (registry.newest(workflow).isEmpty()) {
            throw new Refused(404, ErrorCode.NOT_FOUND, "no workflow '" + workflow + "' is loaded");
        }
        Map<String, Object> errors = new LinkedHashMap<>();
        Integer version = null;
        if (!versionText.matches("[0-9]{1,7}") || registry.loaded(workflow).stream().noneMatch(d -> d.version() == Integer.parseInt(versionText))) {
            errors.put("versionError", "choose one of the versions this node loads: " + registry.loaded(workflow).stream().map(WorkflowDefinition::version).toList());
        } else {
            version = Integer.parseInt(versionText);
        }
        if (reason.isEmpty()) {
            errors.put("reasonError", "required: why this version serves now, for the audit log");
        } else if (reason.length() > MAX_REASON) {
            errors.put("reasonError", "at most " + MAX_REASON + " characters, got " + reason.length());
        }
        if (!errors.isEmpty()) {
            errors.put("reason", reason);
            return workflowsPage(req, 422, workflow, errors);
        }
        int previous = versions.activations().activate(workflow, version, reason, "key:" + s.keyId());
        LOG.info("console activated {} v{} (was v{}) by key {}", workflow, version, previous, s.keyId());
        return redirect("/console/workflows?activated=" + URLEncoder.encode(workflow + " v" + version + " (was v" + previous + ")", StandardCharsets.UTF_8)
                + "#wf-" + workflow);
    }

    /** Two finished runs of one suite compared case by case, or why they cannot be. */
    private Map<String, Object> comparison(String workflow, String before, String after) {
        Map<String, Object> m = new LinkedHashMap<>();
        Optional<dev.mainstay.store.EvalRun> a = store.evalRun(before).filter(r -> r.workflow().equals(workflow));
        Optional<dev.mainstay.store.EvalRun> b = store.evalRun(after).filter(r -> r.workflow().equals(workflow));
        if (a.isEmpty()) {
            m.put("beforeError", "no eval run " + before + " of " + workflow);
        }
        if (b.isEmpty()) {
            m.put("afterError", "no eval run " + after + " of " + workflow);
        }
        if (a.isPresent() && b.isPresent()) {
            if (!a.get().suite().equals(b.get().suite())) {
                m.put("afterError", "run " + b.get().id() + " is of suite " + b.get().suite() + ", run " + a.get().id() + " of suite " + a.get().suite()
                        + "; only runs of one suite compare case by case");
            } else if (a.get().status() != dev.mainstay.store.EvalRun.Status.COMPLETED || b.get().status() != dev.mainstay.store.EvalRun.Status.COMPLETED) {
                m.put("afterError", "run " + a.get().id() + " is " + a.get().status().wire() + " and run " + b.get().id() + " is " + b.get().status().wire()
                        + "; runs compare once both are completed");
            }
        }
        if (!m.isEmpty()) {
            return m;
        }
        dev.mainstay.evals.RunComparison cmp = dev.mainstay.evals.RunComparison.of(versions.evalRuns().results(a.get().id()), versions.evalRuns().results(b.get().id()));
        m.put("suite", a.get().suite());
        m.put("before", a.get().id() + " (v" + a.get().version() + ")");
        m.put("after", b.get().id() + " (v" + b.get().version() + ")");
        m.put("qualityBefore", String.format(java.util.Locale.ROOT, "%.3f", cmp.qualityBefore()));
        m.put("qualityAfter", String.format(java.util.Locale.ROOT, "%.3f", cmp.qualityAfter()));
        m.put("regression", cmp.regression() > 0);
        List<Map<String, Object>> counts = new ArrayList<>();
        for (dev.mainstay.evals.RunComparison.Change c : dev.mainstay.evals.RunComparison.Change.values()) {
            counts.add(Map.of("change", c.name().toLowerCase(java.util.Locale.ROOT), "count", cmp.count(c)));
        }
        m.put("counts", counts);
        List<Map<String, Object>> cases = new ArrayList<>();
        for (dev.mainstay.evals.RunComparison.CaseChange c : cmp.cases()) {
            String change = c.change().name().toLowerCase(java.util.Locale.ROOT);
            List<String> diffs = c.differences().stream().map(d -> d.field() + ": " + (d.before().isMissingNode() ? "none" : Json.write(d.before())) + " → "
                    + (d.after().isMissingNode() ? "none" : Json.write(d.after()))).toList();
            cases.add(Map.of("case", c.caseId(), "change", change, "tone", c.change() == dev.mainstay.evals.RunComparison.Change.REGRESSED ? "bad"
                    : c.change() == dev.mainstay.evals.RunComparison.Change.IMPROVED ? "good" : "", "differences", diffs));
        }
        m.put("cases", cases);
        return Map.of("result", m);
    }

    /** The workflows page; {@code formOf} names the workflow whose activation form was refused, with its values and errors. */
    Answer workflowsPage(ServerRequest req, int status, String formOf, Map<String, Object> refused) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (WorkflowDefinition w : registry.all().stream().sorted(Comparator.comparing(WorkflowDefinition::name)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.name());
            m.put("version", w.version());
            m.put("latency", w.latency().name().toLowerCase(java.util.Locale.ROOT));
            m.put("input", pretty(w.input().node()));
            List<Map<String, Object>> stages = new ArrayList<>();
            for (var st : w.stages()) {
                Map<String, Object> sm = new LinkedHashMap<>();
                switch (st) {
                    case ModelStage ms -> {
                        sm.put("id", ms.id());
                        sm.put("kind", "model, route " + String.join(" → ", ms.route()));
                        sm.put("prompt", ms.prompt().name());
                        sm.put("promptText", ms.prompt().source());
                        sm.put("output", pretty(ms.output().schema().node()));
                    }
                    case dev.mainstay.workflow.ToolStage ts -> {
                        sm.put("id", ts.id());
                        sm.put("kind", "tool " + ts.tool() + " (" + ts.scope().name().toLowerCase(java.util.Locale.ROOT) + ")");
                    }
                }
                stages.add(sm);
            }
            m.put("stages", stages);
            List<dev.mainstay.store.EvalRun> runs = new ArrayList<>(store.finishedEvalRuns(w.name(), 20));
            runs.sort(Comparator.comparing(dev.mainstay.store.EvalRun::createdAt));
            List<Map<String, Object>> rows = new ArrayList<>();
            List<double[]> quality = new ArrayList<>();
            for (dev.mainstay.store.EvalRun r : runs) {
                JsonNode q = r.summary() == null ? null : r.summary().get("quality");
                if (q != null && q.isNumber()) {
                    quality.add(new double[] {quality.size(), q.asDouble()});
                }
                rows.add(Map.of("id", r.id(), "version", r.version(), "suite", r.suite(), "status", r.status().wire(), "created", r.createdAt().toString(),
                        "quality", q == null || !q.isNumber() ? "–" : String.format(java.util.Locale.ROOT, "%.3f", q.asDouble()),
                        "summary", r.summary() == null ? "" : Json.write(r.summary())));
            }
            m.put("runs", rows);
            if (!quality.isEmpty()) {
                m.put("qualityChart", Chart.quality(quality));
            }
            ObjectNode v = versions.view().apply(w.name());
            List<Map<String, Object>> vs = new ArrayList<>();
            for (JsonNode x : v.path("versions")) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("version", x.path("version").asInt());
                String state = x.path("state").asString();
                row.put("state", state);
                row.put("tone", switch (state) {
                    case "active" -> "good";
                    case "candidate" -> "warn";
                    default -> "";
                });
                JsonNode g = x.path("gate");
                if (g.isObject()) {
                    row.put("gate", Map.of("decision", g.path("decision").asString(), "suite", g.path("suite").asString(),
                            "quality", g.path("quality").isNumber() ? String.format(java.util.Locale.ROOT, "%.3f", g.path("quality").asDouble()) : "–",
                            "baseline", g.path("baseline_quality").isNumber() ? String.format(java.util.Locale.ROOT, "%.3f", g.path("baseline_quality").asDouble()) : "–",
                            "reason", g.path("reason").isString() ? g.path("reason").asString() : "",
                            "tone", "activated".equals(g.path("decision").asString()) ? "good" : "refused".equals(g.path("decision").asString()) ? "bad" : ""));
                }
                vs.add(row);
            }
            m.put("versions", vs);
            m.put("activatedBy", v.path("activated_by").isString() ? v.path("activated_by").asString() + " at " + v.path("activated_at").asString() : "");
            Map<String, Object> act = new LinkedHashMap<>(w.name().equals(formOf) ? refused : Map.of());
            act.putIfAbsent("reason", "");
            act.put("choices", vs.stream().map(x -> Map.of("version", x.get("version"), "state", x.get("state"), "selected", !"active".equals(x.get("state")))).toList());
            if (vs.size() > 1) {
                m.put("activate", act);
            }
            // Compare two runs: the newest two of one suite by default.
            List<Map<String, Object>> finished = rows.stream().filter(r -> "completed".equals(r.get("status"))).toList();
            String before = w.name().equals(param(req, "workflow").orElse(null)) ? param(req, "before").orElse("") : "";
            String after = w.name().equals(param(req, "workflow").orElse(null)) ? param(req, "after").orElse("") : "";
            if (finished.size() >= 2) {
                String b0 = before;
                String a0 = after;
                m.put("compareForm", Map.of(
                        "beforeChoices", finished.stream().map(r -> Map.of("id", r.get("id"), "label", r.get("id") + " · v" + r.get("version") + " · " + r.get("suite"),
                                "selected", r.get("id").equals(b0))).toList(),
                        "afterChoices", finished.stream().map(r -> Map.of("id", r.get("id"), "label", r.get("id") + " · v" + r.get("version") + " · " + r.get("suite"),
                                "selected", a0.isEmpty() ? r == finished.getLast() : r.get("id").equals(a0))).toList()));
            }
            if (!before.isEmpty() && !after.isEmpty()) {
                m.put("comparison", comparison(w.name(), before, after));
            }
            out.add(m);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Workflows and evals");
        model.put("workflows", out);
        param(req, "activated").ifPresent(a -> model.put("activated", a));
        return new Answer(status, "workflows", model, null, null);
    }
}
