package dev.mainstay.server.openapi;

import static dev.mainstay.server.openapi.Operation.Access.ACCOUNT;
import static dev.mainstay.server.openapi.Operation.Access.ADMIN;
import static dev.mainstay.server.openapi.Operation.Access.NONE;

import dev.mainstay.server.openapi.Operation.Query;
import java.util.List;

/**
 * The fixed endpoints of the API, written once for the OpenAPI document. A test checks this list
 * against the routes the server registers, so an endpoint added without its description fails
 * the build rather than going missing from the document.
 */
final class Operations {
    private static final Query LIMIT = new Query("limit", "integer", "Page size.");
    private static final Query CURSOR = new Query("cursor", "string", "The next_cursor of the previous page.");
    private static final Query WORKFLOW = new Query("workflow", "string", "Only this workflow's.");
    private static final Query STATUS = new Query("status", "string", "Only jobs in this status.");
    private static final Query AFTER = new Query("after", "string",
            "Resume after this event: a job's event sequence number, or a cursor of the account-wide stream. The Last-Event-ID header wins over it.");

    private static final Query FROM = new Query("from", "string", "Start of the window (an instant or YYYY-MM-DD).");
    private static final Query TO = new Query("to", "string", "End of the window (an instant or YYYY-MM-DD).");

    static final List<Operation> ALL = List.of(
            new Operation("GET", "/health/live", "healthLive", "health", "Answers while the process runs", NONE, null, 200, "Health", List.of(), List.of()),
            new Operation("GET", "/health/ready", "healthReady", "health", "Answers 200 while the node can take requests", NONE, null, 200, "Health",
                    List.of(), List.of(503)),
            new Operation("GET", "/v1/openapi.json", "openApi", "meta", "This document, with the workflows the caller's key may run", NONE, null, 200,
                    null, List.of(), List.of(401)),
            new Operation("GET", "/v1/workflows", "listWorkflows", "workflows", "Lists the workflows this node runs", ACCOUNT, null, 200,
                    "WorkflowList", List.of(), List.of(401)),
            new Operation("GET", "/v1/jobs", "listJobs", "jobs", "Lists the account's jobs, newest first", ACCOUNT, null, 200, "JobList",
                    List.of(WORKFLOW, STATUS, new Query("dead_letter", "boolean", "Only dead letters (true) or none of them (false)."), LIMIT, CURSOR),
                    List.of(400, 401, 403)),
            new Operation("GET", "/v1/jobs/{id}", "getJob", "jobs", "One job's envelope", ACCOUNT, null, 200, "Job", List.of(), List.of(401, 403, 404)),
            new Operation("GET", "/v1/jobs/{id}/events", "jobEvents", "jobs",
                    "What happened to the job: a JSON list, or with Accept: text/event-stream a live stream that ends after the job's last event",
                    ACCOUNT, null, 200, "JobEventList", List.of(AFTER), List.of(400, 401, 403, 404, 429)),
            new Operation("GET", "/v1/events", "accountEvents", "jobs",
                    "Every job event of the account as a live stream (text/event-stream), resumable by its cursor", ACCOUNT, null, 200, null,
                    List.of(new Query("workflow", "string", "Only this workflow's jobs."),
                            new Query("status", "string", "Only events that left their job in one of these statuses (comma-separated)."), AFTER),
                    List.of(400, 401, 403, 406, 429)),
            new Operation("POST", "/v1/jobs/{id}/cancel", "cancelJob", "jobs", "Cancels an unfinished job", ACCOUNT, null, 200, "Job", List.of(),
                    List.of(401, 403, 404, 409)),
            new Operation("POST", "/v1/jobs/{id}/replay", "replayJob", "jobs", "Runs a failed job again from its failed stage", ACCOUNT, null, 202, "Job",
                    List.of(), List.of(401, 403, 404, 409)),
            new Operation("GET", "/v1/jobs/{id}/diff/{other}", "diffJobs", "jobs", "Why two jobs' results differ", ACCOUNT, null, 200, "Object",
                    List.of(), List.of(401, 403, 404)),
            new Operation("GET", "/v1/reviews", "listReviews", "reviews", "Lists the account's reviews", ACCOUNT, null, 200, "Object",
                    List.of(new Query("status", "string", "Only reviews in this status."), LIMIT, CURSOR), List.of(400, 401)),
            new Operation("GET", "/v1/reviews/{id}", "getReview", "reviews", "One review", ACCOUNT, null, 200, "Object", List.of(), List.of(401, 403, 404)),
            new Operation("POST", "/v1/reviews/{id}/decision", "decideReview", "reviews", "Approves, edits or rejects what a review holds", ACCOUNT,
                    "Object", 200, "Object", List.of(), List.of(400, 401, 403, 404, 409, 422)),
            new Operation("GET", "/v1/usage", "usage", "usage", "The account's usage by day, workflow and model", ACCOUNT, null, 200, "Object",
                    List.of(new Query("from", "string", "First day (YYYY-MM-DD)."), new Query("to", "string", "Last day (YYYY-MM-DD)."),
                            new Query("group_by", "string", "day, workflow or model.")),
                    List.of(400, 401)),
            new Operation("GET", "/v1/admin/usage", "adminUsage", "admin", "Any account's usage, or every account's", ADMIN, null, 200, "Object",
                    List.of(new Query("account", "string", "Only this account's."), new Query("from", "string", "First day (YYYY-MM-DD)."),
                            new Query("to", "string", "Last day (YYYY-MM-DD)."), new Query("group_by", "string", "day, workflow or model.")),
                    List.of(400, 401, 403)),
            new Operation("POST", "/v1/admin/accounts", "createAccount", "admin", "Creates an account and its first key", ADMIN, "Object", 201, "Object",
                    List.of(), List.of(400, 401, 403, 409)),
            new Operation("GET", "/v1/admin/accounts/{account}/keys", "listKeys", "admin", "Lists an account's keys", ADMIN, null, 200, "Object",
                    List.of(), List.of(401, 403, 404)),
            new Operation("POST", "/v1/admin/accounts/{account}/keys", "createKey", "admin", "Creates a key; its secret is shown once", ADMIN, "Object",
                    201, "Object", List.of(), List.of(400, 401, 403, 404)),
            new Operation("DELETE", "/v1/admin/accounts/{account}/keys/{key}", "revokeKey", "admin", "Revokes a key", ADMIN, null, 200, "Object",
                    List.of(), List.of(401, 403, 404)),
            new Operation("GET", "/v1/admin/accounts/{account}/limits", "getLimits", "admin", "An account's limits", ADMIN, null, 200, "Object",
                    List.of(), List.of(401, 403, 404)),
            new Operation("PUT", "/v1/admin/accounts/{account}/limits", "setLimits", "admin", "Sets an account's limits", ADMIN, "Object", 200, "Object",
                    List.of(), List.of(400, 401, 403, 404)),
            new Operation("GET", "/v1/admin/audit", "audit", "admin", "The audit log, and whether its hash chain holds", ADMIN, null, 200, "Object",
                    List.of(new Query("job", "string", "Only this job's records."), LIMIT, CURSOR), List.of(400, 401, 403)),
            new Operation("GET", "/v1/admin/targets", "targets", "admin", "Circuit breakers, latency and rate limits per model target", ADMIN, null, 200, "Targets",
                    List.of(), List.of(401, 403)),
            new Operation("GET", "/v1/stats", "stats", "stats", "A summary of the account's jobs: counts, rates, latency per stage (percentiles within 12.5%), tokens and cost", ACCOUNT,
                    null, 200, "Object", List.of(WORKFLOW, FROM, TO), List.of(400, 401)),
            new Operation("GET", "/v1/admin/stats", "adminStats", "admin", "The same summary over every account, or one", ADMIN, null, 200, "Object",
                    List.of(WORKFLOW, FROM, TO, new Query("account", "string", "Only this account's jobs.")), List.of(400, 401, 403)),
            new Operation("POST", "/v1/admin/evals/{suite}/cases", "addEvalCase", "evals",
                    "Stores a case of a suite from a job: its input, and its output or a correction as the expected answer", ADMIN, "Object", 201, "Object",
                    List.of(), List.of(400, 401, 403, 404, 422)),
            new Operation("GET", "/v1/admin/evals/{suite}/cases", "listEvalCases", "evals", "The cases a suite holds in the store, oldest first", ADMIN,
                    null, 200, "Object", List.of(new Query("limit", "integer", "At most this many (1 to 500, default 50)."),
                            new Query("cursor", "string", "next_cursor of the previous page.")), List.of(400, 401, 403, 404)),
            new Operation("DELETE", "/v1/admin/evals/{suite}/cases/{id}", "deleteEvalCase", "evals", "Removes a stored case from its suite", ADMIN, null, 200,
                    "Object", List.of(), List.of(401, 403, 404)),
            new Operation("POST", "/v1/admin/evals/runs", "startEvalRun", "evals", "Starts eval runs of a workflow version's suites", ADMIN, "Object", 202,
                    "Object", List.of(), List.of(400, 401, 403, 404)),
            new Operation("GET", "/v1/admin/evals/runs/{id}", "getEvalRun", "evals", "One eval run, case by case", ADMIN, null, 200, "Object", List.of(),
                    List.of(401, 403, 404)),
            new Operation("GET", "/v1/admin/evals/runs/{id}/compare/{other}", "compareEvalRuns", "evals", "Two runs of one suite compared case by case", ADMIN,
                    null, 200, "Object", List.of(), List.of(401, 403, 404, 409)),
            new Operation("GET", "/v1/admin/evals/history", "evalHistory", "evals", "Each version's quality score over time", ADMIN, null, 200, "Object",
                    List.of(WORKFLOW), List.of(400, 401, 403)),
            new Operation("GET", "/v1/admin/workflows", "listWorkflowVersions", "workflows", "Every workflow's versions: active, candidate or retired, with gates and latest eval runs",
                    ADMIN, null, 200, "Object", List.of(), List.of(401, 403)),
            new Operation("GET", "/v1/admin/workflows/{workflow}", "getWorkflowVersions", "workflows", "One workflow's versions, gates and latest eval runs",
                    ADMIN, null, 200, "Object", List.of(), List.of(401, 403, 404)),
            new Operation("POST", "/v1/admin/workflows/{workflow}/versions/{version}/activate", "activateWorkflowVersion", "workflows",
                    "Makes a version the one serving (a promotion or a rollback), audited with its reason", ADMIN, "Object", 200, "Object", List.of(),
                    List.of(400, 401, 403, 404)),
            new Operation("GET", "/v1/admin/evals/shadow", "shadowReport", "evals", "Shadow runs of a workflow's live jobs: agreement and reference-free scores",
                    ADMIN, null, 200, "Object", List.of(new Query("workflow", "string", "The workflow (required).")), List.of(400, 401, 403, 404)),
            new Operation("GET", "/v1/admin/evals/drift", "driftReport", "evals", "Reference-free figures of a workflow's live jobs per version, this window against the last",
                    ADMIN, null, 200, "Object", List.of(new Query("workflow", "string", "The workflow (required)."),
                            new Query("window", "string", "The window's length, e.g. 15m, 1h, 7d (default 1h, at most 31d).")), List.of(400, 401, 403, 404)),
            new Operation("POST", "/v1/webhooks", "createWebhook", "webhooks", "Registers a webhook endpoint; its signing secret is in this answer only",
                    ACCOUNT, "Object", 201, "Object", List.of(), List.of(400, 401, 403)),
            new Operation("GET", "/v1/webhooks", "listWebhooks", "webhooks", "Lists the account's webhook endpoints", ACCOUNT, null, 200, "Object", List.of(),
                    List.of(401)),
            new Operation("GET", "/v1/webhooks/{endpoint}", "getWebhook", "webhooks", "One webhook endpoint", ACCOUNT, null, 200, "Object", List.of(),
                    List.of(401, 404)),
            new Operation("PATCH", "/v1/webhooks/{endpoint}", "updateWebhook", "webhooks", "Changes an endpoint, enables or disables it", ACCOUNT, "Object",
                    200, "Object", List.of(), List.of(400, 401, 404)),
            new Operation("DELETE", "/v1/webhooks/{endpoint}", "deleteWebhook", "webhooks", "Removes an endpoint, its secrets and its deliveries", ACCOUNT,
                    null, 204, null, List.of(), List.of(401, 404)),
            new Operation("POST", "/v1/webhooks/{endpoint}/secret", "rotateWebhookSecret", "webhooks", "Rotates the signing secret, with an overlap",
                    ACCOUNT, "Object", 200, "Object", List.of(), List.of(400, 401, 404)),
            new Operation("GET", "/v1/webhooks/{endpoint}/deliveries", "listDeliveries", "webhooks", "The delivery log, filtered by status, event or job",
                    ACCOUNT, null, 200, "Object", List.of(new Query("status", "string", "Only deliveries in this status."),
                            new Query("event", "string", "Only this event type."), new Query("job", "string", "Only this job's."), LIMIT),
                    List.of(400, 401, 404)),
            new Operation("GET", "/v1/webhooks/{endpoint}/deliveries/{delivery}", "getDelivery", "webhooks", "One delivery, its body and every attempt",
                    ACCOUNT, null, 200, "Object", List.of(), List.of(401, 404)),
            new Operation("POST", "/v1/webhooks/{endpoint}/deliveries/{delivery}/replay", "replayDelivery", "webhooks",
                    "Sends a dead-lettered delivery again, with the same webhook-id", ACCOUNT, null, 202, "Object", List.of(), List.of(401, 404, 409)),
            new Operation("POST", "/v1/webhooks/{endpoint}/replay", "replayDeadLetters", "webhooks", "Sends every dead letter of the endpoint again",
                    ACCOUNT, null, 202, "Object", List.of(), List.of(401, 404)),
            new Operation("POST", "/v1/inbound/{source}", "inboundEvent", "inbound",
                    "An event from a configured source, signed as Standard Webhooks, starts its workflow once per webhook-id", NONE, "Object", 202, "Object",
                    List.of(), List.of(400, 401, 404)),
            new Operation("POST", "/v1/callbacks/{token}", "toolCallback", "inbound", "The result of a callback tool stage, through its single-use URL", NONE,
                    "Object", 200, "Object", List.of(), List.of(400, 404, 409)),
            new Operation("GET", "/v1/admin/retention", "retention", "admin", "The retention policy, what the sweeper removed and its last sweep", ADMIN,
                    null, 200, "Object", List.of(), List.of(401, 403)),
            new Operation("POST", "/v1/admin/retention/sweep", "sweepNow", "admin", "Runs one retention sweep now", ADMIN, null, 200, "Object", List.of(),
                    List.of(401, 403)),
            new Operation("POST", "/v1/admin/erasures", "erase", "admin",
                    "Erases the payloads of one job, an account's jobs or a subject's jobs; the same scope again is the same erasure", ADMIN, "Object", 201,
                    "Object", List.of(), List.of(400, 401, 403, 404)),
            new Operation("GET", "/v1/admin/erasures/{id}", "getErasure", "admin", "One erasure: its scope and what it removed", ADMIN, null, 200,
                    "Object", List.of(), List.of(401, 403, 404)),
            new Operation("GET", "/metrics", "metrics", "meta", "Every metric in the Prometheus text format (admin or metrics key)", ADMIN, null, 200, null,
                    List.of(), List.of(401, 403)));

    private Operations() {
    }
}
