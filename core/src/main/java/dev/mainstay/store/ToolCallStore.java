package dev.mainstay.store;

import dev.mainstay.tool.ToolCall;
import java.util.Optional;

/** The intent and outcome of each tool stage's effect, recorded around the call so it is never made twice. */
public interface ToolCallStore {
    /** The recorded effect of a job's tool stage, if any. */
    Optional<ToolCall> toolCall(String jobId, String stageId);

    /** Records (or replaces) the state of a job's tool stage call, durably, before the method returns. */
    void recordToolCall(ToolCall call);
}
