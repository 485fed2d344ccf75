package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.access.Principal;
import dev.mainstay.evals.EvalCase;
import dev.mainstay.evals.ModelGraded;
import dev.mainstay.evals.Observation;
import dev.mainstay.evals.WeightedScorer;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The judges of model-graded scorers in a run that asks for model grading. Each verdict is a
 * durable job of the eval account on a judge workflow made for the scorer (its rubric's route,
 * the verdict schema as its output contract, the graded workflow's redaction): so the judge's call
 * is held by the eval budget, redacted, retried and repaired like any model call, and carries
 * provenance. A judge workflow is stored as a workflow version, so any node runs its jobs; it is
 * never active, so it serves no endpoint.
 */
final class EvalJudges {
    /** Judge workflows are named {@code evals-judge/j-<hash>}: the hash of their definition. */
    static final String PREFIX = "evals-judge/j-";
    private static final String PROMPT = """
            You grade one answer of an AI feature against a rubric. Read the input, the answer and, when given, the expected answer.
            Score the answer from 1 (fails the rubric) to {{input.scale}} (fully meets it) and give the reason in one or two sentences.

            <rubric>{{input.rubric}}</rubric>
            <input>{{input.input}}</input>
            <answer>{{input.output}}</answer>
            {{#input.expected}}<expected>{{input.expected}}</expected>{{/input.expected}}
            """;

    private final Store store;
    private final Engine engine;
    private final Principal evals;
    private final Clock clock;
    private final Map<String, WorkflowDefinition> judges = new ConcurrentHashMap<>();

    EvalJudges(Store store, Engine engine, Principal evals, Clock clock) {
        this.store = store;
        this.engine = engine;
        this.evals = evals;
        this.clock = clock;
    }

    /**
     * The verdict of each model-graded scorer among {@code scorers} on one observed case, by scorer
     * name: the judge's answer, or a text saying why there is none (its job failed, its submission
     * was refused, the case left no answer to grade). Empty while a judge is still working; the
     * judge jobs are submitted under keys made of the run, case and scorer, so asking again finds
     * the same jobs.
     */
    Optional<Map<String, JsonNode>> verdicts(EvalRun run, EvalCase kase, List<WeightedScorer> scorers, Observation observed, WorkflowDefinition graded) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        boolean waiting = false;
        for (WeightedScorer s : scorers) {
            if (!(s.scorer() instanceof ModelGraded mg)) {
                continue;
            }
            if (!observed.hasOutput()) {
                out.put(s.name(), ModelGraded.noVerdict("the case left no answer to grade (status " + observed.status() + ")"));
                continue;
            }
            Job job;
            try {
                String key = "eval-" + run.id() + "-" + kase.id() + "-judge-" + ContentHash.shortForm(ContentHash.sha256(s.name()));
                job = engine.submit(evals, judge(mg, graded), input(mg, kase, observed), key).job();
            } catch (MainstayException e) {
                if (e.retryable()) {
                    waiting = true; // a backlog or budget that may have room later: the next sweep asks again
                } else {
                    out.put(s.name(), ModelGraded.noVerdict("the judge's call was refused: " + e.code().code() + ": " + e.getMessage()));
                }
                continue;
            }
            Job now = store.job(job.id()).orElse(job);
            if (now.status() == JobStatus.COMPLETED && now.result() != null) {
                out.put(s.name(), now.result());
            } else if (now.status().isTerminal() || now.status() == JobStatus.WAITING_FOR_REVIEW) {
                out.put(s.name(), ModelGraded.noVerdict("judge job " + now.id() + " ended " + now.status().wire()
                        + (now.error() == null ? "" : " (" + now.error().code().code() + ": " + now.error().message() + ")")));
            } else {
                waiting = true;
            }
        }
        return waiting ? Optional.empty() : Optional.of(out);
    }

    private static JsonNode input(ModelGraded mg, EvalCase kase, Observation observed) {
        ObjectNode in = Json.object().put("rubric", mg.rubric()).put("scale", mg.scale());
        in.put("input", Json.write(kase.input()));
        in.put("output", Json.write(observed.output()));
        if (kase.hasExpected()) {
            in.put("expected", Json.write(kase.expected()));
        }
        return in;
    }

    /** The judge workflow of {@code mg} for answers of {@code graded}, stored once as a workflow version. */
    private WorkflowDefinition judge(ModelGraded mg, WorkflowDefinition graded) {
        ObjectNode doc = Json.object();
        doc.put("version", 1).put("latency", "async").put("description", "The judge of a model-graded eval scorer (route " + mg.route() + ", scale " + mg.scale() + ")");
        ObjectNode input = doc.putObject("input").put("type", "object");
        input.set("required", Json.array().add("rubric").add("scale").add("input").add("output"));
        ObjectNode props = input.putObject("properties");
        props.putObject("rubric").put("type", "string");
        props.putObject("scale").put("type", "integer");
        props.putObject("input").put("type", "string");
        props.putObject("output").put("type", "string");
        props.putObject("expected").put("type", "string");
        ObjectNode stage = doc.putArray("stages").addObject().put("id", "judge");
        ObjectNode model = stage.putObject("model").put("prompt", "judge.mustache").put("prompt_source", PROMPT);
        model.set("route", Json.array().add(mg.route()));
        stage.putObject("output").set("schema", mg.verdictSchema().node());
        stage.putObject("retry").put("attempts", 2);
        // Whatever the graded workflow keeps from its provider, the judge keeps too: it sees the same input and answer.
        store.workflowDefinition(graded.name(), graded.version()).map(Json::parse).map(d -> d.get("redact")).filter(r -> r != null && !r.isNull())
                .ifPresent(r -> doc.set("redact", r));
        String hash = ContentHash.sha256(Json.canonical(doc));
        String name = PREFIX + hash.substring(hash.length() - 16);
        return judges.computeIfAbsent(name, n -> {
            ObjectNode named = Json.object().put("workflow", n);
            named.setAll(doc);
            String text = Json.write(named);
            WorkflowDefinition d = WorkflowDefinition.fromStored(text, "judge workflow " + n);
            store.registerWorkflowVersion(n, 1, ContentHash.sha256(text), text, clock.instant());
            return d;
        });
    }
}
