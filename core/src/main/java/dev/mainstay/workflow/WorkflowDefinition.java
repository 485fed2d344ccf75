package dev.mainstay.workflow;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.fallback.FallbackRung;
import dev.mainstay.fallback.RulesPath;
import dev.mainstay.redaction.RedactionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One immutable version of a workflow: the typed input, the stages and the bounds around them.
 * Its identity is {@code name} + {@code version}; its {@link #contentHash()} covers the whole
 * resolved definition including prompt texts, so any edit is detectable.
 */
public final class WorkflowDefinition {
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    public static final int DEFAULT_CONCURRENCY = 64;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+");
    /**
     * Words a workflow name may not start with: the first path segments of the HTTP API's own
     * routes under {@code /v1/}, so that no workflow path ({@code POST /v1/<name>}) is ever also an
     * API path. The server refuses to start with a route under a segment missing here.
     */
    public static final Set<String> RESERVED_FIRST_SEGMENTS = Set.of("jobs", "workflows", "admin", "health", "reviews", "usage", "stats", "events", "openapi.json",
            "webhooks", "inbound", "callbacks");

    private final String name;
    private final int version;
    private final String description;
    private final Latency latency;
    private final Duration deadline;
    private final JsonSchema input;
    private final List<StageDefinition> stages;
    private final int concurrency;
    private final int priority;
    private final String subject;
    private final List<FallbackRung> fallback;
    private final Duration cacheTtl;
    private final dev.mainstay.limits.WorkflowLimits limits;
    private final dev.mainstay.access.WorkflowAccess access;
    private final Map<String, RedactionPolicy> redaction;
    private final Map<String, PromptContext> contexts;
    private final JsonNode document;
    private final String contentHash;
    private final String source;
    private final List<SuiteReference> evals;
    private final Activation activation;
    private final boolean draft;
    private final Notify notify;
    private final ShadowPolicy shadow;
    private final DriftPolicy drift;

    /**
     * A receiver the workflow itself declares ({@code notify:}), beside the endpoints accounts
     * register: its events for every account's jobs, signed with the secret in the environment
     * variable {@code secretEnv}. The file names the variable, never the secret.
     */
    public record Notify(java.net.URI url, List<String> events, String secretEnv) {
        public Notify {
            events = List.copyOf(events);
        }
    }

    private WorkflowDefinition(Builder b) {
        this.name = b.name;
        this.version = b.version;
        this.description = b.description;
        this.latency = b.latency;
        this.deadline = b.deadline;
        this.input = b.input;
        this.stages = List.copyOf(b.stages);
        this.fallback = List.copyOf(b.fallback);
        this.cacheTtl = b.cacheTtl;
        this.limits = b.limits;
        this.access = b.access;
        this.redaction = Map.copyOf(b.redaction);
        this.contexts = Map.copyOf(b.contexts);
        this.concurrency = b.concurrency;
        this.priority = b.priority;
        this.subject = b.subject;
        this.document = b.document;
        this.contentHash = ContentHash.sha256(Json.canonical(b.document));
        this.source = b.source;
        this.evals = List.copyOf(b.evals);
        this.activation = b.activation;
        this.notify = b.notify;
        this.shadow = b.shadow;
        this.drift = b.drift;
        this.draft = false;
    }

    private WorkflowDefinition(WorkflowDefinition base, List<StageDefinition> stages) {
        this.name = base.name;
        this.version = base.version;
        this.description = base.description;
        this.latency = base.latency;
        this.deadline = base.deadline;
        this.input = base.input;
        this.stages = List.copyOf(stages);
        this.fallback = base.fallback;
        this.cacheTtl = base.cacheTtl;
        this.limits = base.limits;
        this.access = base.access;
        this.redaction = base.redaction;
        this.contexts = base.contexts;
        this.concurrency = base.concurrency;
        this.priority = base.priority;
        this.subject = base.subject;
        this.document = base.document;
        this.contentHash = base.contentHash;
        this.source = base.source;
        this.evals = base.evals;
        this.activation = base.activation;
        this.notify = base.notify;
        this.shadow = base.shadow;
        this.drift = base.drift;
        this.draft = true;
    }

    /**
     * This definition as a dev-mode draft of its version: a file edited under a version already on
     * record, served by {@code ./mainstay up --dev} only. Every prompt's version stamp carries the
     * draft's hash ({@link dev.mainstay.job.Provenance#DEV_MARKER}), so its results say they came from a draft.
     */
    public WorkflowDefinition asDraft() {
        if (draft) {
            return this;
        }
        List<StageDefinition> marked = new ArrayList<>(stages.size());
        for (StageDefinition s : stages) {
            marked.add(switch (s) {
                case ModelStage m -> new ModelStage(m.id(), m.prompt().inDraft(contentHash), m.system(), m.route(), m.maxOutputTokens(), m.timeout(),
                        m.output(), m.retry(), m.optional(), m.tools(), m.maxToolCalls());
                case ToolStage t -> t;
            });
        }
        return new WorkflowDefinition(this, marked);
    }

    /** Whether this is a dev-mode draft (see {@link #asDraft()}), not the version on record. */
    public boolean draft() {
        return draft;
    }

    /**
     * Reads a definition.
     *
     * @param promptText given the pointer of a {@code model.prompt} field and its value, returns
     *     the template text (from a file next to the workflow, or inlined in a stored document)
     * @param knownRoutes route names from configuration; empty to skip the check (stored versions)
     * @throws dev.mainstay.ConfigException naming file, line and field
     */
    public static WorkflowDefinition parse(YamlDocument doc, BiFunction<String, String, String> promptText, Set<String> knownRoutes) {
        return parse(doc, promptText, null, knownRoutes);
    }

    /**
     * Reads a definition and checks every name its templates use (prompts, tool paths and bodies)
     * against what the stage can see: the input schema, earlier stages' output schemas, the
     * declared context, and the items of the sections around the name.
     *
     * @param promptFile given a {@code model.prompt} value, where its text was read from (for
     *     messages naming the prompt file and line); {@code null} to skip the template check, as
     *     for a definition read back from the database, which was checked when it was registered
     * @throws dev.mainstay.ConfigException naming file, line and field, or the prompt file, line
     *     and tag with the nearest valid name
     */
    public static WorkflowDefinition parse(YamlDocument doc, BiFunction<String, String, String> promptText, java.util.function.Function<String, String> promptFile,
                                           Set<String> knownRoutes) {
        return parse(doc, promptText, promptFile, (pointer, name) -> {
            throw doc.error(pointer, "eval suites are read from files beside a workflow file, and this definition was not read from one");
        }, knownRoutes);
    }

    /**
     * Reads a definition whose {@code evals:} entries name suite files.
     *
     * @param suiteFile given the pointer of an {@code evals} entry and its value, the file it names
     *     (throwing, naming the pointer, when there is none)
     */
    public static WorkflowDefinition parse(YamlDocument doc, BiFunction<String, String, String> promptText, java.util.function.Function<String, String> promptFile,
                                           BiFunction<String, String, java.nio.file.Path> suiteFile, Set<String> knownRoutes) {
        doc.requireObject("");
        doc.onlyKeys("", "workflow", "version", "description", "latency", "deadline", "input", "stages", "concurrency", "priority", "fallback", "cache", "limits", "eligibility",
                "redact", "context", "access", "evals", "notify", "activation", "shadow", "drift", "subject");
        Builder b = new Builder();
        b.source = doc.source();
        b.name = doc.requireText("/workflow");
        if (!NAME.matcher(b.name).matches()) {
            throw doc.error("/workflow", "must look like 'group/feature' in lowercase letters, digits and dashes (it becomes POST /v1/" + b.name + ")");
        }
        if (RESERVED_FIRST_SEGMENTS.contains(b.name.substring(0, b.name.indexOf('/')))) {
            throw doc.error("/workflow", "may not start with a reserved API segment " + RESERVED_FIRST_SEGMENTS);
        }
        b.version = doc.integer("/version", -1, 1, 1_000_000);
        if (b.version < 0) {
            throw doc.error("/version", "is required (a whole number, starting at 1)");
        }
        b.description = doc.text("/description").orElse("");
        String latency = doc.text("/latency").orElse("async");
        try {
            b.latency = Latency.valueOf(latency.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw doc.error("/latency", "must be one of instant, wait, async; got '" + latency + "'");
        }
        b.deadline = doc.duration("/deadline", DEFAULT_DEADLINE);
        if (b.deadline.isZero()) {
            throw doc.error("/deadline", "must be longer than zero");
        }
        b.concurrency = doc.integer("/concurrency", DEFAULT_CONCURRENCY, 1, 100_000);
        b.priority = doc.integer("/priority", 0, -100, 100);
        b.subject = doc.text("/subject").orElse(null);
        if (b.subject != null && !b.subject.startsWith("/")) {
            throw doc.error("/subject", "must be a JSON Pointer into the input, such as /customer/email; got '" + b.subject + "'");
        }

        doc.requireObject("/input");
        if (!"object".equals(doc.node("/input").path("type").asString(""))) {
            throw doc.error("/input", "must be a JSON Schema with 'type: object' (the request body is a JSON object)");
        }
        b.input = StageParser.schema(doc, "/input");

        ObjectNode resolved = (ObjectNode) doc.root().deepCopy();
        // Suites measure a version, they are not part of it: cases are added as production finds
        // failures, and that must not need a new version number nor change the content hash.
        resolved.remove("evals");
        b.evals.addAll(evals(doc, suiteFile));
        // The gate is policy about versions too: adding one to a workflow already serving must not
        // need a new version number.
        resolved.remove("activation");
        b.activation = Activation.parse(doc);
        if (b.activation != null && b.evals.isEmpty()) {
            throw doc.error("/activation/suite", "names suite '" + b.activation.suite() + "', but the workflow names no suite file in evals:");
        }
        // Shadow and drift say how live traffic is measured, not what the version does: the same.
        resolved.remove("shadow");
        resolved.remove("drift");
        b.shadow = ShadowPolicy.parse(doc, b.version).orElse(null);
        b.drift = DriftPolicy.parse(doc).orElse(DriftPolicy.NONE);
        JsonNode stages = doc.node("/stages");
        if (!stages.isArray() || stages.isEmpty()) {
            throw doc.error("/stages", "needs at least one stage");
        }
        Set<String> ids = new HashSet<>();
        RedactionPolicy redact = RedactionPolicy.parse(doc.node("/redact"), "/redact", doc::error);
        List<String> allIds = new ArrayList<>();
        stages.values().forEach(st -> allIds.add(st.path("id").asString("")));
        Set<String> inputFields = new java.util.LinkedHashSet<>(doc.node("/input/properties").propertyNames());
        PromptContext context = PromptContext.parse(doc, "/context", PromptContext.ALL, inputFields, allIds);
        for (int i = 0; i < stages.size(); i++) {
            String p = "/stages/" + i;
            StageDefinition stage = StageParser.stage(doc, p, promptText, knownRoutes, resolved);
            if (!ids.add(stage.id())) {
                throw doc.error(p + "/id", "duplicate stage id '" + stage.id() + "'");
            }
            b.stages.add(stage);
            b.redaction.put(stage.id(), RedactionPolicy.parse(doc.node(p + "/redact"), p + "/redact", doc::error, redact));
            PromptContext scoped = PromptContext.parse(doc, p + "/context", context, inputFields, allIds.subList(0, i));
            if (stage instanceof ModelStage m) {
                List<String> undeclared = scoped.undeclared(m.prompt());
                if (!undeclared.isEmpty()) {
                    String where = doc.has(p + "/context") ? p + "/context" : "/context";
                    throw doc.error(where, "prompt " + m.prompt().name() + " uses " + String.join(", ", undeclared)
                            + ", which this context does not declare; add it to the context or remove it from the prompt");
                }
            }
            b.contexts.put(stage.id(), scoped);
            if (promptFile != null) {
                TemplateNames.check(doc, p, stage, scoped, b.input.node(), b.stages.subList(0, i), allIds, promptFile);
            }
        }
        b.fallback.addAll(fallback(doc));
        checkRules(doc, b.fallback, b.stages);
        if (doc.has("/cache")) {
            doc.requireObject("/cache");
            doc.onlyKeys("/cache", "ttl");
            Duration ttl = doc.duration("/cache/ttl", null);
            if (ttl == null || ttl.isZero()) {
                throw doc.error("/cache/ttl", "is required: how long a cached output may be reused, e.g. 1h");
            }
            b.cacheTtl = ttl;
        }
        b.limits = dev.mainstay.limits.WorkflowLimits.parse(doc);
        b.access = dev.mainstay.access.WorkflowAccess.parse(doc);
        b.notify = notify(doc);
        b.document = resolved;
        return new WorkflowDefinition(b);
    }

    /** {@code notify: {url, events, secret: {env: NAME}}}; events default to every job ending. */
    private static Notify notify(YamlDocument doc) {
        if (!doc.has("/notify")) {
            return null;
        }
        doc.requireObject("/notify");
        doc.onlyKeys("/notify", "url", "events", "secret");
        String text = doc.requireText("/notify/url");
        java.net.URI url;
        try {
            url = new java.net.URI(text);
        } catch (java.net.URISyntaxException e) {
            throw doc.error("/notify/url", "is not a valid URL: " + e.getReason());
        }
        if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https")) || url.getHost() == null) {
            throw doc.error("/notify/url", "must be an http or https URL, got '" + text + "'");
        }
        List<String> events = doc.has("/notify/events") ? doc.textList("/notify/events")
                : dev.mainstay.webhook.EventTypes.ALL.stream().filter(t -> t.startsWith("job.") && !t.equals(dev.mainstay.webhook.EventTypes.JOB_WAITING_FOR_REVIEW))
                .toList();
        for (int i = 0; i < events.size(); i++) {
            if (!dev.mainstay.webhook.EventTypes.known(events.get(i))) {
                throw doc.error("/notify/events/" + i, "unknown event type '" + events.get(i) + "'; the types are " + dev.mainstay.webhook.EventTypes.ALL);
            }
        }
        if (events.isEmpty()) {
            throw doc.error("/notify/events", "names no event type");
        }
        doc.requireObject("/notify/secret");
        doc.onlyKeys("/notify/secret", "env");
        return new Notify(url, events, doc.requireText("/notify/secret/env"));
    }

    /** {@code evals: file} or {@code evals: [file, ...]}: the suite files that measure this workflow. */
    private static List<SuiteReference> evals(YamlDocument doc, BiFunction<String, String, java.nio.file.Path> suiteFile) {
        if (!doc.has("/evals")) {
            return List.of();
        }
        JsonNode list = doc.node("/evals");
        if (!(list.isString() || list.isArray() && !list.isEmpty())) {
            throw doc.error("/evals", "must be a suite file or a list of them, e.g. [evals/classify.yaml, evals/regressions.jsonl]");
        }
        List<SuiteReference> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < (list.isArray() ? list.size() : 1); i++) {
            String p = list.isArray() ? "/evals/" + i : "/evals";
            String path = doc.requireText(p);
            if (!SuiteReference.SUITE_FILE.matcher(path).matches()) {
                throw doc.error(p, "must name a *.yaml, *.yml or *.jsonl suite file, got '" + path + "'");
            }
            if (!seen.add(path)) {
                throw doc.error(p, "suite file '" + path + "' is listed twice");
            }
            out.add(new SuiteReference(path, suiteFile.apply(p, path), doc.where(p)));
        }
        return out;
    }

    private static List<FallbackRung> fallback(YamlDocument doc) {
        List<FallbackRung> out = new ArrayList<>();
        if (!doc.has("/fallback")) {
            return out;
        }
        JsonNode list = doc.node("/fallback");
        if (!list.isArray()) {
            throw doc.error("/fallback", "must be a list of rungs, e.g. [cached, {rules: extractive-summary}, draft]");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String p = "/fallback/" + i;
            JsonNode item = list.get(i);
            FallbackRung rung;
            if (item.isString()) {
                rung = switch (item.stringValue()) {
                    case "cached" -> new FallbackRung.Cached();
                    case "draft" -> new FallbackRung.Draft();
                    case "review" -> new FallbackRung.Review(FallbackRung.Review.DEFAULT_EXPIRY, dev.mainstay.review.Review.Decision.REJECT);
                    default -> throw doc.error(p, "unknown rung '" + item.stringValue() + "' (known: cached, {rules: <path>}, draft, review)");
                };
            } else if (item.isObject() && item.has("review")) {
                doc.onlyKeys(p, "review");
                doc.requireObject(p + "/review");
                doc.onlyKeys(p + "/review", "expires", "on_expiry", "budget_refusals");
                java.time.Duration expires = doc.duration(p + "/review/expires", FallbackRung.Review.DEFAULT_EXPIRY);
                String onExpiry = doc.text(p + "/review/on_expiry").orElse("reject");
                if (!onExpiry.equals("reject") && !onExpiry.equals("approve")) {
                    throw doc.error(p + "/review/on_expiry", "must be approve or reject, got '" + onExpiry + "'");
                }
                rung = new FallbackRung.Review(expires, dev.mainstay.review.Review.Decision.fromWire(onExpiry), doc.bool(p + "/review/budget_refusals", false));
            } else if (item.isObject() && item.has("rules")) {
                try {
                    rung = new FallbackRung.Rules(RulesPath.of(item.get("rules").asString(""), item));
                } catch (IllegalArgumentException e) {
                    throw doc.error(p, e.getMessage());
                }
            } else {
                throw doc.error(p, "a rung is 'cached', 'draft', 'review', {review: {expires, on_expiry, budget_refusals}} or {rules: <path>, ...options}");
            }
            if (!seen.add(rung.label())) {
                throw doc.error(p, "rung '" + rung.label() + "' appears twice");
            }
            if (!out.isEmpty() && out.getLast() instanceof FallbackRung.Review) {
                throw doc.error(p, "nothing can follow 'review': a person's decision ends the ladder");
            }
            out.add(rung);
        }
        return out;
    }

    /** Rules rungs' options must fit the output schemas they may fill. */
    private static void checkRules(YamlDocument doc, List<FallbackRung> rungs, List<StageDefinition> stages) {
        List<JsonNode> schemas = stages.stream().filter(ModelStage.class::isInstance)
                .map(s -> ((ModelStage) s).output().schema().node()).toList();
        for (int i = 0; i < rungs.size(); i++) {
            if (rungs.get(i) instanceof FallbackRung.Rules r) {
                try {
                    r.path().check(schemas);
                } catch (IllegalArgumentException e) {
                    throw doc.error("/fallback/" + i, e.getMessage());
                }
            }
        }
    }


    /** Reads a definition back from its stored document (prompt texts inlined). */
    public static WorkflowDefinition fromStored(String json, String displayName) {
        YamlDocument doc = YamlDocument.of(Json.parse(json), displayName);
        return parse(doc, (pointer, name) -> {
            JsonNode inline = doc.node(pointer.substring(0, pointer.lastIndexOf('/')) + "/prompt_source");
            if (!inline.isString()) {
                throw doc.error(pointer, "stored definition lacks its prompt text");
            }
            return inline.stringValue();
        }, Set.of());
    }

    public String name() { return name; }
    public int version() { return version; }
    public String description() { return description; }
    public Latency latency() { return latency; }
    public Duration deadline() { return deadline; }
    public JsonSchema input() { return input; }
    public List<StageDefinition> stages() { return stages; }
    public int concurrency() { return concurrency; }
    /** Rungs to try, in order, once every route target of a failing stage has given up. */
    public List<FallbackRung> fallback() { return fallback; }
    /** How long a stage's validated output may be reused for the same input and target, when the workflow opts in. */
    public Optional<Duration> cacheTtl() { return Optional.ofNullable(cacheTtl); }
    /** Per-account limits, job budget and eligibility this workflow declares. */
    public dev.mainstay.limits.WorkflowLimits limits() { return limits; }
    /** Which key roles may run this workflow and read its jobs. */
    public dev.mainstay.access.WorkflowAccess access() { return access; }
    public int priority() { return priority; }

    /**
     * The JSON Pointer of the input field that names whom a job is about ({@code subject:}), by
     * which an erasure by subject finds the job; empty when the workflow declares none.
     */
    public java.util.Optional<String> subject() { return java.util.Optional.ofNullable(subject); }

    /**
     * The redaction policy of a stage (its own {@code redact} block over the workflow's), before
     * the target provider's data policy narrows it. {@link RedactionPolicy#NONE} for an unknown id.
     */
    public RedactionPolicy redaction(String stageId) {
        return redaction.getOrDefault(stageId, RedactionPolicy.NONE);
    }

    /** What the prompt of a stage may see; {@link PromptContext#ALL} when nothing is declared. */
    public PromptContext context(String stageId) {
        return contexts.getOrDefault(stageId, PromptContext.ALL);
    }
    /** The resolved definition (prompt texts inlined), as stored. */
    public JsonNode document() { return document; }
    public String contentHash() { return contentHash; }
    /** Where it was read from: a file path, or a note that it came from the database. */
    public String source() { return source; }
    /**
     * The eval suite files the workflow's {@code evals:} names, in order; empty for a definition
     * read back from the database, whose stored document leaves them out.
     */
    public List<SuiteReference> evals() { return evals; }

    /** The activation gate new versions of this workflow pass before they serve, if it declares one. */
    public Optional<Activation> activation() { return Optional.ofNullable(activation); }
    /** {@code /v1/<name>}. */
    public String path() { return "/v1/" + name; }
    /** The version a sampled share of its live jobs also runs on ({@code shadow:}), if it declares one; empty for a definition read back from the database. */
    public Optional<ShadowPolicy> shadow() { return Optional.ofNullable(shadow); }
    /** The result fields the drift report follows ({@code drift:}); none for a definition read back from the database. */
    public DriftPolicy drift() { return drift; }
    /** The receiver the workflow declares for its events, if it declares one. */
    public Optional<Notify> notifyEndpoint() { return Optional.ofNullable(notify); }

    public Optional<StageDefinition> stage(int index) {
        return index >= 0 && index < stages.size() ? Optional.of(stages.get(index)) : Optional.empty();
    }

    @Override
    public String toString() {
        return name + "@v" + version;
    }

    private static final class Builder {
        private String name;
        private int version;
        private String description;
        private Latency latency;
        private Duration deadline;
        private JsonSchema input;
        private final List<StageDefinition> stages = new ArrayList<>();
        private final List<FallbackRung> fallback = new ArrayList<>();
        private Duration cacheTtl;
        private dev.mainstay.limits.WorkflowLimits limits = dev.mainstay.limits.WorkflowLimits.NONE;
        private dev.mainstay.access.WorkflowAccess access = dev.mainstay.access.WorkflowAccess.ANY;
        private final Map<String, RedactionPolicy> redaction = new java.util.HashMap<>();
        private final Map<String, PromptContext> contexts = new java.util.HashMap<>();
        private int concurrency;
        private int priority;
        private String subject;
        private JsonNode document;
        private String source;
        private final List<SuiteReference> evals = new ArrayList<>();
        private Activation activation;
        private Notify notify;
        private ShadowPolicy shadow;
        private DriftPolicy drift = DriftPolicy.NONE;
    }
}
