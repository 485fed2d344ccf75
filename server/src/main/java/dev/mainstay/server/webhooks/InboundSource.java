package dev.mainstay.server.webhooks;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.webhook.Signatures;
import dev.mainstay.webhook.SigningSecret;
import dev.mainstay.config.YamlDocument;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A system that may post events to {@code POST /v1/inbound/<name>}, from the {@code inbound:}
 * section. Its events are signed the Standard Webhooks way with its secret (or any of its secrets,
 * while it rotates), and each event type it sends starts one workflow, as the source's account.
 *
 * <pre>{@code
 * inbound:
 *   billing:                                  # POST /v1/inbound/billing
 *     account: acct_demo                      # the jobs it starts belong to this account
 *     secret: {env: BILLING_WEBHOOK_SECRET}   # whsec_…; a list of them while rotating
 *     tolerance: 5m                           # how old (or early) a webhook-timestamp may be
 *     events:
 *       invoice.disputed: support/draft-response
 * }</pre>
 */
public record InboundSource(String name, String account, List<SigningSecret> secrets, Duration tolerance, Map<String, String> events) {
    public InboundSource {
        secrets = List.copyOf(secrets);
        events = Map.copyOf(events);
    }

    /** The workflow an event type starts, if the source maps it. */
    public Optional<String> workflowFor(String eventType) {
        return Optional.ofNullable(events.get(eventType));
    }

    @Override
    public String toString() {
        return "InboundSource[" + name + ", account " + account + ", " + secrets.size() + " secret(s), events " + events.keySet() + "]";
    }

    /** Reads {@code inbound:}; secrets come from environment variables ({@code {env: NAME}}), or literally for local setups. */
    public static Map<String, InboundSource> read(YamlDocument doc, Map<String, String> env) {
        Map<String, InboundSource> out = new LinkedHashMap<>();
        if (!doc.has("/inbound")) {
            return out;
        }
        doc.requireObject("/inbound");
        for (String name : doc.node("/inbound").propertyNames()) {
            String p = Json.pointer("/inbound", name);
            if (!name.matches("[a-z][a-z0-9_]{0,63}")) {
                throw doc.error(p, "source names are lowercase letters, digits and '_' (they are a path segment), got '" + name + "'");
            }
            doc.requireObject(p);
            doc.onlyKeys(p, "account", "secret", "tolerance", "events");
            String account = doc.requireText(p + "/account");
            List<SigningSecret> secrets = new ArrayList<>();
            if (!doc.has(p + "/secret")) {
                throw doc.error(p + "/secret", "is required: the whsec_ secret the source signs its events with");
            }
            if (doc.node(p + "/secret").isArray()) {
                for (int i = 0; i < doc.node(p + "/secret").size(); i++) {
                    secrets.add(secret(doc, p + "/secret/" + i, env));
                }
            } else {
                secrets.add(secret(doc, p + "/secret", env));
            }
            if (secrets.isEmpty()) {
                throw doc.error(p + "/secret", "needs at least one secret");
            }
            Duration tolerance = doc.duration(p + "/tolerance", Signatures.DEFAULT_TOLERANCE);
            if (tolerance.compareTo(Duration.ofSeconds(10)) < 0 || tolerance.compareTo(Duration.ofHours(1)) > 0) {
                throw doc.error(p + "/tolerance", "must be between 10s and 1h, got " + tolerance);
            }
            doc.requireObject(p + "/events");
            Map<String, String> events = new LinkedHashMap<>();
            for (String type : doc.node(p + "/events").propertyNames()) {
                events.put(type, doc.requireText(Json.pointer(p + "/events", type)));
            }
            if (events.isEmpty()) {
                throw doc.error(p + "/events", "maps no event type to a workflow");
            }
            out.put(name, new InboundSource(name, account, secrets, tolerance, events));
        }
        return out;
    }

    private static SigningSecret secret(YamlDocument doc, String pointer, Map<String, String> env) {
        String text;
        if (doc.node(pointer).isObject()) {
            doc.onlyKeys(pointer, "env");
            String var = doc.requireText(pointer + "/env");
            text = env.get(var);
            if (text == null || text.isBlank()) {
                throw doc.error(pointer + "/env", "names the environment variable " + var + ", which is not set");
            }
        } else {
            text = doc.requireText(pointer);
        }
        try {
            return SigningSecret.parse(text);
        } catch (ConfigException e) {
            throw doc.error(pointer, e.getMessage());
        }
    }
}
