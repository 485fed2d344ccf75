package dev.mainstay.testkit;

import dev.mainstay.config.YamlDocument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The order of behaviours of the fake provider: {@code steps} are used one per request, in order;
 * once they run out every request gets {@code fallback} (by default a prompt, valid answer). With
 * {@code perJob}, each job (the {@code X-Mainstay-Job} header) walks the steps on its own, so
 * concurrent jobs each see e.g. "fail twice, then succeed".
 *
 * <p>File form (YAML), documented in {@code docs/testkit.md}:
 *
 * <pre>
 * default: { latency: 20ms }          # after the steps; latency may be a range: 50ms..400ms
 * per_job: true                      # optional
 * steps:
 *   - { status: 429, retry_after: 2s }
 *   - { fault: reset }
 *   - { fault: hang }
 *   - { fault: malformed }            # also: invalid_output, prose_output, refusal, truncated,
 *                                     #   refusal_with_content, empty_choices, cut_off
 *   - { latency: 300ms }              # a slow but valid answer
 *   - { usage: { input: -17, output: '1e308' } }   # odd token counts; values are JSON
 *   - { numbers: '"NaN"' }            # this JSON value in place of every number of the content
 *   - { rate_limits: { requests_limit: 50, requests_remaining: 0, requests_reset: 2s } }
 *                                     # rate-limit headers as the request's API writes them
 *                                     #   (also tokens_limit, tokens_remaining, tokens_reset)
 *   - { headers: { x-ratelimit-remaining-requests: soon } }   # any header, verbatim
 * </pre>
 */
public record FaultScript(List<Fault> steps, Fault fallback, boolean perJob) {
    public FaultScript {
        steps = List.copyOf(steps);
    }

    /** Every request answered at once and correctly. */
    public static FaultScript none() {
        return new FaultScript(List.of(), Fault.ok(), false);
    }

    public static FaultScript of(Fault... steps) {
        return new FaultScript(List.of(steps), Fault.ok(), false);
    }

    public static FaultScript perJob(Fault... steps) {
        return new FaultScript(List.of(steps), Fault.ok(), true);
    }

    public static FaultScript always(Fault fault) {
        return new FaultScript(List.of(), fault, false);
    }

    public FaultScript withFallback(Fault fallback) {
        return new FaultScript(steps, fallback, perJob);
    }

    /** What the script does, for a banner: {@code 2 scripted steps per job, then status 503}. */
    public String describe() {
        return steps.size() + " scripted step" + (steps.size() == 1 ? "" : "s") + (perJob ? " per job" : "") + ", then " + fallback.describe();
    }

    public static FaultScript read(Path file) {
        return parse(YamlDocument.read(file, file.toString()));
    }

    public static FaultScript parse(YamlDocument doc) {
        doc.requireObject("");
        doc.onlyKeys("", "default", "steps", "per_job");
        Fault fallback = doc.has("/default") ? fault(doc, "/default") : Fault.ok();
        List<Fault> steps = new ArrayList<>();
        if (doc.has("/steps")) {
            if (!doc.node("/steps").isArray()) {
                throw doc.error("/steps", "must be a list");
            }
            for (int i = 0; i < doc.node("/steps").size(); i++) {
                steps.add(fault(doc, "/steps/" + i));
            }
        }
        return new FaultScript(steps, fallback, doc.bool("/per_job", false));
    }

    private static Fault fault(YamlDocument doc, String p) {
        doc.requireObject(p);
        doc.onlyKeys(p, "fault", "status", "retry_after", "latency", "usage", "numbers", "rate_limits", "headers");
        Fault f;
        if (doc.has(p + "/status")) {
            f = Fault.status(doc.integer(p + "/status", 500, 100, 599));
        } else {
            String kind = doc.text(p + "/fault").orElse("ok");
            try {
                Fault.Kind k = Fault.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
                if (k == Fault.Kind.STATUS) {
                    throw doc.error(p + "/fault", "write 'status: <code>' for an error status");
                }
                f = new Fault(k, Duration.ZERO, Duration.ZERO, 200, java.util.Optional.empty());
            } catch (IllegalArgumentException e) {
                throw doc.error(p + "/fault", "unknown fault '" + kind + "' (known: " + java.util.Arrays.stream(Fault.Kind.values())
                        .filter(k -> k != Fault.Kind.STATUS).map(k -> k.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(", ")) + ")");
            }
        }
        if (doc.has(p + "/usage")) {
            doc.requireObject(p + "/usage");
            doc.onlyKeys(p + "/usage", "input", "output");
            f = f.usage(new Fault.Usage(json(doc, p + "/usage/input"), json(doc, p + "/usage/output")));
        }
        if (doc.has(p + "/numbers")) {
            f = f.numbers(json(doc, p + "/numbers"));
        }
        if (doc.has(p + "/rate_limits")) {
            String r = p + "/rate_limits";
            doc.requireObject(r);
            doc.onlyKeys(r, "requests_limit", "requests_remaining", "requests_reset", "tokens_limit", "tokens_remaining", "tokens_reset");
            f = f.rateLimits(new Fault.RateLimits(doc.integer(r + "/requests_limit", 500, 0, Integer.MAX_VALUE),
                    doc.integer(r + "/requests_remaining", 499, 0, Integer.MAX_VALUE), doc.duration(r + "/requests_reset", Duration.ofMillis(120)),
                    doc.integer(r + "/tokens_limit", 200_000, 0, Integer.MAX_VALUE), doc.integer(r + "/tokens_remaining", 199_000, 0, Integer.MAX_VALUE),
                    doc.duration(r + "/tokens_reset", Duration.ofMillis(300))));
        }
        if (doc.has(p + "/headers")) {
            doc.requireObject(p + "/headers");
            java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
            for (String name : doc.node(p + "/headers").propertyNames()) {
                headers.put(name, doc.requireText(dev.mainstay.Json.pointer(p + "/headers", name)));
            }
            f = f.headers(headers);
        }
        if (doc.has(p + "/retry_after")) {
            f = f.retryAfter(doc.duration(p + "/retry_after", Duration.ZERO));
        }
        if (doc.has(p + "/latency")) {
            String text = doc.requireText(p + "/latency");
            String[] range = text.split("\\.\\.");
            Duration min = YamlDocument.parseDuration(range[0]).orElseThrow(() -> doc.error(p + "/latency", "must be a duration like 20ms or a range like 50ms..400ms"));
            Duration max = range.length > 1 ? YamlDocument.parseDuration(range[1]).orElseThrow(() -> doc.error(p + "/latency", "must be a duration like 20ms or a range like 50ms..400ms")) : min;
            if (max.compareTo(min) < 0) {
                throw doc.error(p + "/latency", "the range must go from low to high");
            }
            f = f.latency(min, max);
        }
        return f;
    }

    /**
     * A value given as JSON: a YAML number or boolean as it is, a string as JSON text (so that
     * {@code '1e308'} is the number and {@code '"NaN"'} the string); absent is {@code null}.
     */
    private static tools.jackson.databind.JsonNode json(YamlDocument doc, String p) {
        if (!doc.has(p)) {
            return null;
        }
        tools.jackson.databind.JsonNode n = doc.node(p);
        if (!n.isString()) {
            return dev.mainstay.Json.parse(dev.mainstay.Json.write(n)); // as JSON reads it: YAML keeps other number types
        }
        try {
            return dev.mainstay.Json.parse(n.stringValue());
        } catch (RuntimeException e) {
            throw doc.error(p, "must be JSON text, e.g. 1e308, -17 or '\"NaN\"' for the string NaN; got " + n.stringValue());
        }
    }

}
