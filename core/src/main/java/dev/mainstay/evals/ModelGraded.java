package dev.mainstay.evals;

import dev.mainstay.Json;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.Violation;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code model_graded}: a rubric that a judge model applies to the case's input, output and
 * expected answer, through a configured route like any model call (so budgets, redaction, retries
 * and provenance apply to it). The judge answers a verdict that must satisfy
 * {@link #verdictSchema()}: {@code {"score": 1..scale, "reason": "..."}}, scored {@code (score - 1) / (scale - 1)}.
 *
 * <p>Off by default: a run calls no judge unless it asks for model grading, and without a verdict
 * this scorer is skipped. It is never enough on its own for a suite that gates: every case of
 * such a suite needs another scorer too.
 *
 * @param route the configured route the judge is called through
 * @param scale the top of the verdict's score, 2 to 10
 */
public record ModelGraded(String rubric, String route, int scale) implements Scorer {
    public static final int DEFAULT_SCALE = 5;
    public static final int MAX_REASON = 2000;
    private static final String NO_VERDICT = "no_verdict";
    private static final java.util.Map<Integer, JsonSchema> VERDICT_SCHEMAS = new java.util.concurrent.ConcurrentHashMap<>();

    public ModelGraded {
        if (rubric == null || rubric.isBlank()) {
            throw new IllegalArgumentException("a model-graded scorer needs a rubric");
        }
        if (route == null || route.isBlank()) {
            throw new IllegalArgumentException("a model-graded scorer needs the route its judge is called through");
        }
        if (scale < 2 || scale > 10) {
            throw new IllegalArgumentException("scale must be from 2 to 10, got " + scale);
        }
    }

    @Override
    public String kind() {
        return "model_graded";
    }

    @Override
    public String defaultName() {
        return kind();
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    /**
     * What a run records in place of a verdict when the judge gave none (its job failed, its call
     * was refused, the case left nothing to grade): the scorer then gives 0 with {@code reason}.
     * No judge's answer has this shape, since the verdict schema admits no other field.
     */
    public static JsonNode noVerdict(String reason) {
        return Json.object().put(NO_VERDICT, reason);
    }

    /** The schema a judge's answer must satisfy: the output contract of the judge's call. */
    public JsonSchema verdictSchema() {
        return VERDICT_SCHEMAS.computeIfAbsent(scale, ModelGraded::verdictSchema);
    }

    private static JsonSchema verdictSchema(int scale) {
        ObjectNode schema = Json.object().put("type", "object").put("additionalProperties", false);
        schema.set("required", Json.array().add("score").add("reason"));
        ObjectNode props = schema.putObject("properties");
        props.putObject("score").put("type", "integer").put("minimum", 1).put("maximum", scale);
        props.putObject("reason").put("type", "string").put("minLength", 1).put("maxLength", MAX_REASON);
        return JsonSchema.compile(schema);
    }

    /** What the judge is shown of one case: the rubric and scale, the input, the output and, when the case has one, the expected answer. */
    public JsonNode judgeInput(EvalCase kase, Observation observed) {
        ObjectNode out = Json.object().put("rubric", rubric).put("scale", scale);
        out.set("input", kase.input());
        out.set("output", observed.output());
        if (kase.hasExpected()) {
            out.set("expected", kase.expected());
        }
        return out;
    }

    /** The judge's instructions. */
    public String instructions() {
        return "You grade one answer of an AI feature against a rubric. Read the input, the answer and, when given, the expected answer. "
                + "Score the answer from 1 (fails the rubric) to " + scale + " (fully meets it) and give the reason in one or two sentences.\n\nRubric:\n" + rubric;
    }

    @Override
    public Score score(Evidence e) {
        JsonNode verdict = e.observed().verdicts().get(e.scorer());
        if (verdict == null) {
            return new Score.Skipped("not judged: model grading is off for this run");
        }
        if (verdict.isObject() && verdict.size() == 1 && verdict.path(NO_VERDICT).isString()) {
            return Score.Scored.fail("no verdict: " + verdict.get(NO_VERDICT).stringValue());
        }
        List<Violation> violations = verdictSchema().validate(verdict);
        if (!violations.isEmpty()) {
            return Score.Scored.fail("the judge's verdict breaks its schema: " + String.join("; ", violations.stream().limit(3).map(Violation::toString).toList()));
        }
        int score = verdict.get("score").intValue();
        return new Score.Scored((double) (score - 1) / (scale - 1), "judged " + score + "/" + scale + ": " + verdict.get("reason").stringValue());
    }
}
