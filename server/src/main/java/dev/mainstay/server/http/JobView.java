package dev.mainstay.server.http;

import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.metrics.StageTimeline;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The job envelope of DESIGN §4: what every job response carries, in one place. */
final class JobView {
    private JobView() {
    }

    static ObjectNode render(Job job, List<StageRun> stages, Instant now) {
        return render(job, stages, null, now);
    }

    /**
     * The envelope, each stage with its {@code timeline} read from {@code events} (see
     * docs/observability.md#a-jobs-timeline) when they are given.
     */
    static ObjectNode render(Job job, List<StageRun> stages, List<JobEvent> events, Instant now) {
        ObjectNode o = Json.object();
        o.put("id", job.id());
        o.put("workflow", job.workflow());
        o.put("workflow_version", job.workflowVersion());
        o.put("status", job.status().wire());
        if (job.resultType() == null) {
            o.putNull("result_type");
        } else {
            o.put("result_type", job.resultType().wire());
        }
        o.set("result", job.result() == null ? Json.MAPPER.nullNode() : job.result());
        // A result removed by retention says so: a client must not read the null as "no result".
        if (job.payloadsExpired()) {
            o.putObject("expired").put("at", job.payloadsExpiredAt().toString()).set("fields", Json.array().add("input").add("result").add("stages.output"));
        } else {
            o.putNull("expired");
        }
        o.set("error", job.error() == null ? Json.MAPPER.nullNode() : error(job.error()));
        if (job.status() == JobStatus.RETRYING && job.retryAt() != null) {
            o.put("retry_after", Math.max(0, (Duration.between(now, job.retryAt()).toMillis() + 999) / 1000));
            o.put("retry_at", job.retryAt().toString());
        } else {
            o.putNull("retry_after");
        }
        o.put("dead_letter", job.deadLetter());
        ObjectNode provenance = job.provenance() == null ? null : job.provenance().toJson();
        if (provenance != null && stages != null) {
            // The job's provenance is its last stage's; what left the boundary is every stage's.
            stages.stream().map(s -> s.provenance() == null ? null : s.provenance().redaction()).filter(java.util.Objects::nonNull)
                    .reduce(dev.mainstay.redaction.Egress::plus).ifPresentOrElse(e -> provenance.set("redaction", e.toJson()), () -> provenance.remove("redaction"));
            // A job any of whose stages ran a dev-mode draft is a draft's result, whichever rung ended it.
            if (stages.stream().anyMatch(s -> s.provenance() != null && s.provenance().dev())) {
                provenance.put("dev", true);
            }
        }
        o.set("provenance", provenance == null ? Json.MAPPER.nullNode() : provenance);
        o.set("usage", usage(job.usage()));
        ObjectNode timings = o.putObject("timings");
        if (job.startedAt() != null) {
            timings.put("queue_ms", Duration.between(job.createdAt(), job.startedAt()).toMillis());
        } else {
            timings.putNull("queue_ms");
        }
        if (job.completedAt() != null) {
            timings.put("run_ms", job.startedAt() == null ? 0 : Duration.between(job.startedAt(), job.completedAt()).toMillis());
            timings.put("total_ms", Duration.between(job.createdAt(), job.completedAt()).toMillis());
        } else {
            timings.putNull("run_ms");
            timings.putNull("total_ms");
        }
        timings.put("deadline_at", job.deadlineAt().toString());
        if (stages != null) {
            ArrayNode list = o.putArray("stages");
            List<StageTimeline> timelines = events == null ? List.of() : StageTimeline.of(events, stages);
            for (StageRun s : stages) {
                ObjectNode st = list.addObject();
                st.put("id", s.stageId());
                st.put("index", s.index());
                st.put("status", s.status());
                st.put("attempts", s.attempts());
                st.set("provenance", s.provenance() == null ? Json.MAPPER.nullNode() : s.provenance().toJson());
                st.set("usage", usage(s.usage()));
                st.set("error", s.error() == null ? Json.MAPPER.nullNode() : error(s.error()));
                st.put("started_at", s.startedAt() == null ? null : s.startedAt().toString());
                st.put("completed_at", s.completedAt() == null ? null : s.completedAt().toString());
                timelines.stream().filter(t -> t.index() == s.index()).findFirst().ifPresent(t -> st.set("timeline", timeline(t)));
            }
        }
        o.put("idempotency_key", job.idempotencyKey());
        o.put("created_at", job.createdAt().toString());
        o.put("updated_at", job.updatedAt().toString());
        o.put("started_at", job.startedAt() == null ? null : job.startedAt().toString());
        o.put("completed_at", job.completedAt() == null ? null : job.completedAt().toString());
        ObjectNode links = o.putObject("links");
        links.put("self", "/v1/jobs/" + job.id());
        links.put("events", "/v1/jobs/" + job.id() + "/events");
        if (!job.status().isTerminal()) {
            links.put("cancel", "/v1/jobs/" + job.id() + "/cancel");
        }
        if (job.status() == JobStatus.FAILED) {
            links.put("replay", "/v1/jobs/" + job.id() + "/replay");
        }
        links.put("workflow", "/v1/" + job.workflow());
        return o;
    }

    private static ObjectNode timeline(StageTimeline t) {
        ObjectNode o = Json.object().put("waited_ms", t.waited().toMillis()).put("ran_ms", t.ran().toMillis());
        ArrayNode attempts = o.putArray("attempts");
        for (StageTimeline.Attempt a : t.attempts()) {
            attempts.addObject().put("attempt", a.number()).put("outcome", a.outcome()).put("code", a.code()).put("at", a.at().toString());
        }
        if (t.firstPass().isPresent()) {
            o.put("validation_first_pass", t.firstPass().get());
        } else {
            o.putNull("validation_first_pass");
        }
        return o;
    }

    private static ObjectNode error(JobError e) {
        return Json.object().put("code", e.code().code()).put("message", e.message()).put("retryable", e.retryable());
    }

    private static ObjectNode usage(Usage u) {
        Usage usage = u == null ? Usage.ZERO : u;
        return Json.object().put("input_tokens", usage.inputTokens()).put("output_tokens", usage.outputTokens()).put("cost_usd", usage.costUsd());
    }
}
