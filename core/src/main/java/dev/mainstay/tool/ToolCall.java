package dev.mainstay.tool;

import java.time.Instant;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * The durable record of one tool stage's effect, kept per (job, stage). The engine writes the
 * intent before it calls and the outcome after, so a crash between them calls again only with the
 * same {@code idempotencyKey}, and a done call is never made again: its response is reused.
 *
 * @param request what is (or would be) sent: {@code {method, url, body}}
 * @param response the integration's JSON answer once {@link Status#DONE}
 * @param approvedBy who approved an {@code execute} call, or {@code null}
 */
public record ToolCall(String jobId, String stageId, String tool, ToolScope scope, String idempotencyKey, Status status,
                       JsonNode request, JsonNode response, Integer httpStatus, String approvedBy, String error, Instant updatedAt) {

    public enum Status {
        AWAITING_APPROVAL, APPROVED, INTENT, DONE, FAILED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status fromWire(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    /** The idempotency key a tool stage sends: the same for every attempt, replay and node. */
    public static String key(String jobId, String stageId) {
        return jobId + "/" + stageId;
    }

    public ToolCall with(Status next, Instant at) {
        return new ToolCall(jobId, stageId, tool, scope, idempotencyKey, next, request, response, httpStatus, approvedBy, error, at);
    }
}
