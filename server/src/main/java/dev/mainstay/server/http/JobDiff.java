package dev.mainstay.server.http;

import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.Provenance;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Why two results differ: which version stamps changed between two jobs and which path each took.
 * Answers {@code GET /v1/jobs/{a}/diff/{b}}.
 */
final class JobDiff {
    private JobDiff() {
    }

    private record Stamp(String field, Function<Job, Object> value, String meaning) {
    }

    private static final List<Stamp> STAMPS = List.of(
            new Stamp("workflow", Job::workflow, "they ran different workflows"),
            new Stamp("workflow_version", Job::workflowVersion, "they ran different versions of the workflow"),
            new Stamp("input_hash", Job::inputHash, "their inputs differ (defaults filled in)"),
            new Stamp("status", j -> j.status().wire(), "they ended in different states"),
            new Stamp("result_type", j -> j.resultType() == null ? null : j.resultType().wire(), "one result is not of the same kind as the other"),
            new Stamp("provenance.provider", j -> p(j, Provenance::provider), "different providers answered"),
            new Stamp("provenance.model", j -> p(j, Provenance::model), "different models answered (as the providers reported them)"),
            new Stamp("provenance.prompt_version", j -> p(j, Provenance::promptVersion), "the prompt changed"),
            new Stamp("provenance.schema_version", j -> p(j, Provenance::schemaVersion), "the output schema changed"),
            new Stamp("provenance.toolchain_version", j -> p(j, Provenance::toolchainVersion), "a different Mainstay version ran them"),
            new Stamp("provenance.validation", j -> p(j, Provenance::validation), "validation went differently (passed, repaired, reviewed, failed)"),
            new Stamp("provenance.fallback_path", j -> p(j, Provenance::fallbackPath), "they took different paths through the fallback ladder"));

    private static Object p(Job job, Function<Provenance, Object> field) {
        return job.provenance() == null ? null : field.apply(job.provenance());
    }

    static ObjectNode render(Job a, Job b) {
        ObjectNode out = Json.object();
        out.put("a", a.id());
        out.put("b", b.id());
        boolean sameResult = Objects.equals(a.result(), b.result());
        if (a.payloadsExpired() || b.payloadsExpired()) {
            // Two results removed by retention are unknown, not equal.
            out.putNull("same_result");
        } else {
            out.put("same_result", sameResult);
        }
        ArrayNode differences = out.putArray("differences");
        List<String> why = new ArrayList<>();
        for (Stamp s : STAMPS) {
            Object va = s.value().apply(a);
            Object vb = s.value().apply(b);
            if (!Objects.equals(va, vb)) {
                ObjectNode d = differences.addObject();
                d.put("field", s.field());
                d.set("a", Json.MAPPER.valueToTree(va));
                d.set("b", Json.MAPPER.valueToTree(vb));
                why.add(s.meaning());
            }
        }
        ArrayNode explanation = out.putArray("explanation");
        if (why.isEmpty()) {
            explanation.add(sameResult
                    ? "same workflow version, input, prompt, schema, model and path: the results agree"
                    : "same workflow version, input, prompt, schema, model and path: the model itself answered differently (sampling)");
        } else {
            why.forEach(explanation::add);
        }
        out.set("paths", Json.object()
                .<ObjectNode>set("a", path(a))
                .set("b", path(b)));
        return out;
    }

    private static JsonNode path(Job job) {
        ArrayNode path = Json.array();
        if (job.provenance() != null) {
            job.provenance().fallbackPath().forEach(path::add);
        }
        return path;
    }
}
