package dev.mainstay.job;

import dev.mainstay.Json;
import dev.mainstay.redaction.Egress;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a result was produced: the version stamps of everything that shaped it. Two results with
 * equal provenance came out of the same machinery.
 *
 * @param provider the provider name from configuration, e.g. {@code openai} or {@code demo}
 * @param model the model as the provider reported it in its response
 * @param promptVersion prompt name and short content hash, e.g. {@code extract-key-points.v1.mustache@3f2a9c0d11aa}
 * @param schemaVersion short hash of the output schema
 * @param fallbackPath rungs of the fallback ladder taken, in order; empty on the ideal path
 * @param validation {@code passed}, {@code repaired}, {@code reviewed} or {@code failed}
 * @param cachedFrom the job whose result was reused (by the result cache, or by the fallback ladder's
 *     {@code cached} rung), else {@code null}
 * @param redaction what the redactor did to the content sent to the provider (counts per mode,
 *     never values), else {@code null} when no content was sent (a cache hit, a review)
 * @param strictSchema whether the provider was asked to enforce the output schema while it
 *     generated the answer (OpenAI's strict Structured Outputs); {@code null} when no model answered
 */
public record Provenance(
        String provider,
        String model,
        String promptVersion,
        String schemaVersion,
        String toolchainVersion,
        List<String> fallbackPath,
        String validation,
        String cachedFrom,
        Egress redaction,
        Boolean strictSchema) {
    /** What a dev-mode draft's prompt version carries after its hash: {@code name@3f2a9c0d11aa+dev.1a2b3c4d5e6f}. */
    public static final String DEV_MARKER = "+dev.";

    public Provenance {
        fallbackPath = fallbackPath == null ? List.of() : List.copyOf(fallbackPath);
    }

    public Provenance(String provider, String model, String promptVersion, String schemaVersion, String toolchainVersion,
                      List<String> fallbackPath, String validation) {
        this(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, null);
    }

    public Provenance(String provider, String model, String promptVersion, String schemaVersion, String toolchainVersion,
                      List<String> fallbackPath, String validation, String cachedFrom) {
        this(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, cachedFrom, null);
    }

    public Provenance(String provider, String model, String promptVersion, String schemaVersion, String toolchainVersion,
                      List<String> fallbackPath, String validation, String cachedFrom, Egress redaction) {
        this(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, cachedFrom, redaction, null);
    }

    /**
     * The same stamps, marked as served from the result cache (an output first made by {@code jobId}).
     * Nothing was sent for it, so it has no redaction record.
     */
    public Provenance cachedFrom(String jobId) {
        return new Provenance(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, jobId, null, strictSchema);
    }

    /** The same stamps with another fallback path. */
    public Provenance withFallbackPath(List<String> path) {
        return new Provenance(provider, model, promptVersion, schemaVersion, toolchainVersion, path, validation, cachedFrom, redaction, strictSchema);
    }

    /** The same stamps with {@code egress} as the record of what was redacted. */
    public Provenance withRedaction(Egress egress) {
        return new Provenance(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, cachedFrom, egress, strictSchema);
    }

    /** The same stamps, saying whether the provider enforced the output schema as it answered. */
    public Provenance withStrictSchema(boolean strict) {
        return new Provenance(provider, model, promptVersion, schemaVersion, toolchainVersion, fallbackPath, validation, cachedFrom, redaction, strict);
    }

    /**
     * Whether the result came from a dev-mode draft of its workflow version ({@code ./mainstay up
     * --dev}): its prompt version carries the draft marker. Written as {@code "dev": true}.
     */
    public boolean dev() {
        return promptVersion != null && promptVersion.contains(DEV_MARKER);
    }

    /** The wire and storage form, keys in snake_case as in the API. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("provider", provider);
        o.put("model", model);
        o.put("prompt_version", promptVersion);
        o.put("schema_version", schemaVersion);
        o.put("toolchain_version", toolchainVersion);
        var path = o.putArray("fallback_path");
        fallbackPath.forEach(path::add);
        o.put("validation", validation);
        o.put("cached_from", cachedFrom);
        if (dev()) {
            o.put("dev", true);
        }
        if (redaction != null) {
            o.set("redaction", redaction.toJson());
        }
        if (strictSchema != null) {
            o.put("strict_schema", strictSchema);
        }
        return o;
    }

    public static Provenance fromJson(JsonNode o) {
        List<String> path = new ArrayList<>();
        o.path("fallback_path").values().forEach(v -> path.add(v.asString()));
        return new Provenance(text(o, "provider"), text(o, "model"), text(o, "prompt_version"), text(o, "schema_version"),
                text(o, "toolchain_version"), path, text(o, "validation"), text(o, "cached_from"),
                o.path("redaction").isObject() ? Egress.fromJson(o.get("redaction")) : null,
                o.path("strict_schema").isBoolean() ? o.get("strict_schema").booleanValue() : null);
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }
}
