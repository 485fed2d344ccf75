package dev.mainstay.webhook;

import dev.mainstay.Json;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Instant;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The bodies Mainstay delivers, in the Standard Webhooks shape {@code {"type", "timestamp", "data"}}.
 * A body is built once, when its event is committed, and sent byte for byte the same on every
 * attempt and every replay: it says what happened then, whatever the job did since.
 */
public final class Payloads {
    /** A result whose JSON is longer than this is left out of the body ({@code result_omitted: true}); the receiver reads it from the job. */
    public static final int MAX_RESULT_CHARS = 256 * 1024;

    private Payloads() {
    }

    /**
     * The body of a job event.
     *
     * @param result the job's result when this transition set one, else null
     * @param error the job's error when this transition set one, else null
     * @param detail the job event's own data (a review decision's outcome and reviewer), or null
     */
    public static String job(String type, Instant at, String jobId, String workflow, int workflowVersion, JobStatus status, ResultType resultType,
            JsonNode result, JobError error, JsonNode detail) {
        ObjectNode body = Json.object().put("type", type).put("timestamp", at.toString());
        ObjectNode data = body.putObject("data");
        data.put("job_id", jobId).put("workflow", workflow).put("workflow_version", workflowVersion).put("status", status.wire());
        if (resultType != null) {
            data.put("result_type", resultType.wire());
        }
        if (result != null) {
            String text = Json.write(result);
            if (text.length() <= MAX_RESULT_CHARS) {
                data.set("result", result);
            } else {
                data.put("result_omitted", true);
            }
        }
        if (error != null) {
            data.putObject("error").put("code", error.code().code()).put("message", error.message()).put("retryable", error.retryable());
        }
        if (type.equals(EventTypes.REVIEW_DECIDED) && detail != null && detail.isObject()) {
            ObjectNode review = data.putObject("review");
            for (String field : new String[] {"review", "decision", "reviewer", "stage"}) {
                if (detail.has(field)) {
                    review.set(field, detail.get(field));
                }
            }
        }
        data.putObject("links").put("job", "/v1/jobs/" + jobId);
        return Json.write(body);
    }

    /** The body of a test message sent to check an endpoint. */
    public static String test(Instant at, String endpointId) {
        ObjectNode body = Json.object().put("type", EventTypes.WEBHOOK_TEST).put("timestamp", at.toString());
        body.putObject("data").put("endpoint_id", endpointId);
        return Json.write(body);
    }
}
