package dev.mainstay.server;

import dev.mainstay.retention.RetentionConfig;
import dev.mainstay.retention.RetentionPolicy;
import dev.mainstay.config.YamlDocument;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code retention:}: the server's default windows, and {@code workflows:} with each
 * overriding workflow's own (a window a workflow does not set is the default's).
 */
final class RetentionSettings {
    private static final String[] POLICY = {"payloads", "jobs", "events"};

    private RetentionSettings() {
    }

    static RetentionConfig read(YamlDocument doc) {
        if (!doc.has("/retention")) {
            return RetentionConfig.DEFAULT;
        }
        doc.requireObject("/retention");
        doc.onlyKeys("/retention", "payloads", "jobs", "events", "cache", "idempotency_keys", "sweep_every", "batch", "workflows", "audit");
        RetentionPolicy defaults = policy(doc, "/retention", RetentionPolicy.DEFAULT);
        Map<String, RetentionPolicy> workflows = new LinkedHashMap<>();
        if (doc.has("/retention/workflows")) {
            doc.requireObject("/retention/workflows");
            for (String name : doc.node("/retention/workflows").propertyNames()) {
                String p = "/retention/workflows/" + name.replace("~", "~0").replace("/", "~1");
                doc.requireObject(p);
                doc.onlyKeys(p, POLICY);
                workflows.put(name, policy(doc, p, defaults));
            }
        }
        Duration cache = doc.duration("/retention/cache", RetentionConfig.DEFAULT_CACHE);
        Duration keys = doc.duration("/retention/idempotency_keys", RetentionConfig.DEFAULT_IDEMPOTENCY_KEYS);
        Duration every = doc.duration("/retention/sweep_every", RetentionConfig.DEFAULT_SWEEP_EVERY);
        int batch = doc.integer("/retention/batch", RetentionConfig.DEFAULT_BATCH, 1, 5_000);
        for (var e : Map.of("cache", cache, "idempotency_keys", keys, "sweep_every", every).entrySet()) {
            atLeastASecond(doc, "/retention/" + e.getKey(), e.getValue());
        }
        Duration audit = doc.has("/retention/audit") ? doc.duration("/retention/audit", null) : null;
        if (audit != null) {
            atLeastASecond(doc, "/retention/audit", audit);
        }
        return new RetentionConfig(defaults, workflows, cache, keys, every, batch, RetentionConfig.DEFAULT_MAX_BATCHES, audit);
    }

    private static RetentionPolicy policy(YamlDocument doc, String p, RetentionPolicy inherited) {
        Duration payloads = doc.duration(p + "/payloads", inherited.payloads());
        Duration jobs = doc.duration(p + "/jobs", inherited.jobs());
        Duration events = doc.duration(p + "/events", inherited.events());
        atLeastASecond(doc, p + "/payloads", payloads);
        atLeastASecond(doc, p + "/jobs", jobs);
        atLeastASecond(doc, p + "/events", events);
        if (jobs.compareTo(payloads) < 0) {
            throw doc.error(p + "/jobs", "must be at least payloads (" + payloads + "): a job row outlives its payloads, got " + jobs);
        }
        return new RetentionPolicy(payloads, jobs, events);
    }

    private static void atLeastASecond(YamlDocument doc, String pointer, Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error(pointer, "must be at least 1s, got " + d);
        }
    }
}
