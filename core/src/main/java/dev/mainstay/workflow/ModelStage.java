package dev.mainstay.workflow;

import dev.mainstay.contract.OutputContract;
import java.time.Duration;
import java.util.List;

/**
 * A stage that asks a model. The prompt renders the messages, the route picks the targets, the
 * output contract decides whether the answer may be used.
 */
public record ModelStage(
        String id,
        PromptTemplate prompt,
        String system,
        List<String> route,
        int maxOutputTokens,
        Duration timeout,
        OutputContract output,
        RetryPolicy retry,
        boolean optional,
        List<ModelTool> tools,
        int maxToolCalls) implements StageDefinition {

    public static final int DEFAULT_MAX_TOOL_CALLS = 4;

    public ModelStage(String id, PromptTemplate prompt, String system, List<String> route, int maxOutputTokens, Duration timeout,
                      OutputContract output, RetryPolicy retry, boolean optional) {
        this(id, prompt, system, route, maxOutputTokens, timeout, output, retry, optional, List.of(), DEFAULT_MAX_TOOL_CALLS);
    }

    public static final int DEFAULT_MAX_OUTPUT_TOKENS = 1024;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public ModelStage {
        route = List.copyOf(route);
        tools = List.copyOf(tools);
    }

    /** The function a model asked for by name, if this stage offers it. */
    public java.util.Optional<ModelTool> tool(String name) {
        return tools.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
