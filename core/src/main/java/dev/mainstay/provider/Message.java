package dev.mainstay.provider;

import java.util.List;

/**
 * One chat message sent to a model.
 *
 * @param toolCalls on an assistant message: the functions the model asked to have called
 * @param toolCallId on a tool message: which request this is the result of
 */
public record Message(Role role, String content, List<ToolRequest> toolCalls, String toolCallId) {
    /** Who speaks. */
    public enum Role {
        SYSTEM, USER, ASSISTANT, TOOL;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Message {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public Message(Role role, String content) {
        this(role, content, List.of(), null);
    }

    public static Message system(String content) { return new Message(Role.SYSTEM, content); }
    public static Message user(String content) { return new Message(Role.USER, content); }
    public static Message assistant(String content) { return new Message(Role.ASSISTANT, content); }

    /** The model's turn that asked for function calls (with whatever text came with them). */
    public static Message assistant(String content, List<ToolRequest> calls) { return new Message(Role.ASSISTANT, content, calls, null); }

    /** The result of one function call, as text (usually JSON). */
    public static Message toolResult(String toolCallId, String content) { return new Message(Role.TOOL, content, List.of(), toolCallId); }

    /** The same message with other content (redaction rewrites content, never the structure). */
    public Message withContent(String newContent) {
        return new Message(role, newContent, toolCalls, toolCallId);
    }
}
