package dev.mainstay.tracing;

/**
 * Span names and attribute keys, in one place: OpenTelemetry's GenAI semantic conventions for
 * model calls, Mainstay's own {@code mainstay.*} keys for the rest.
 */
public final class SpanNames {
    public static final String SUBMIT = "mainstay.submit";
    public static final String STAGE = "mainstay.stage";
    public static final String TOOL = "mainstay.tool";
    public static final String REVIEW = "mainstay.review";
    public static final String RUNG = "mainstay.fallback";

    public static final String WORKFLOW = "mainstay.workflow";
    public static final String WORKFLOW_VERSION = "mainstay.workflow.version";
    public static final String JOB_ID = "mainstay.job.id";
    public static final String STAGE_ID = "mainstay.stage.id";
    public static final String STAGE_OUTCOME = "mainstay.stage.outcome";
    public static final String RUNG_NAME = "mainstay.fallback.rung";
    public static final String TOOL_NAME = "mainstay.tool.name";
    public static final String ATTEMPT = "mainstay.attempt";

    public static final String GEN_AI_OPERATION = "gen_ai.operation.name";
    public static final String GEN_AI_SYSTEM = "gen_ai.system";
    public static final String GEN_AI_PROVIDER = "gen_ai.provider.name";
    public static final String GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
    public static final String GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
    public static final String GEN_AI_MAX_TOKENS = "gen_ai.request.max_tokens";
    public static final String GEN_AI_INPUT_TOKENS = "gen_ai.usage.input_tokens";
    public static final String GEN_AI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    public static final String GEN_AI_FINISH_REASONS = "gen_ai.response.finish_reasons";
    public static final String ERROR_TYPE = "error.type";

    private SpanNames() {
    }

    /** The GenAI span name of a chat call: {@code chat <model>}. */
    public static String chat(String model) {
        return "chat " + model;
    }
}
