package dev.mainstay.evals;

import dev.mainstay.ConfigException;
import dev.mainstay.ContentHash;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.Rule;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.ResultType;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.workflow.SuiteReference;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.config.YamlDocument;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import tools.jackson.databind.JsonNode;

/**
 * Reads one suite file for one workflow version that names it, checking everything that can be
 * checked before a run: the shape of the file, every scorer's parameters, each case's input
 * against the workflow's input schema, and every field or pointer against its output schema.
 * Every error names file, line and field, as workflow files' errors do.
 */
final class SuiteParser {
    static final Pattern SUITE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    static final Pattern CASE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final List<String> KINDS = List.of("schema_valid", "equals", "one_of", "regex", "numeric", "contains", "not_contains", "overlap", "cel", "status",
            "result_type", "error_code", "latency", "cost", "model_graded");
    private static final String[] HEADER_KEYS = {"suite", "description", "threshold", "gate", "scorers"};
    private static final String[] CASE_KEYS = {"id", "description", "input", "expected", "expect", "tags"};

    private final YamlDocument header;
    private final WorkflowDefinition workflow;
    private final Subject subject;
    private final Set<String> knownRoutes;

    private SuiteParser(YamlDocument header, WorkflowDefinition workflow, Set<String> knownRoutes) {
        this.header = header;
        this.workflow = workflow;
        this.subject = Subject.of(workflow);
        this.knownRoutes = knownRoutes;
    }

    /** One case's document and where the case sits in it. */
    private record CaseAt(YamlDocument doc, String pointer) {
    }

    /**
     * Reads {@code ref} as a suite of {@code workflow}.
     *
     * @param knownRoutes route names from configuration, which a model-graded scorer must use; empty to skip the check
     * @throws ConfigException naming file, line and field
     */
    static EvalSuite parse(SuiteReference ref, WorkflowDefinition workflow, Set<String> knownRoutes) {
        String display = display(ref.file());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(ref.file());
        } catch (IOException e) {
            throw new ConfigException(display + ": cannot read suite file (named by " + ref.where() + "): " + e.getMessage(), e);
        }
        YamlDocument head;
        List<CaseAt> cases = new ArrayList<>();
        if (ref.jsonLines()) {
            List<YamlDocument> lines = YamlDocument.readJsonLines(ref.file(), display);
            if (lines.isEmpty()) {
                throw new ConfigException(display + ": the file is empty; a JSON Lines suite starts with its header line, "
                        + "e.g. {\"suite\": \"classify-regressions\", \"threshold\": 0.9, \"scorers\": [\"schema_valid\"]}");
            }
            head = lines.getFirst();
            if (!head.root().isObject() || !head.root().has("suite") || head.root().has("input")) {
                throw head.error("", "the first line of a JSON Lines suite is its header, e.g. {\"suite\": \"classify-regressions\", \"threshold\": 0.9}; "
                        + "each line after it is one case");
            }
            head.onlyKeys("", HEADER_KEYS);
            for (YamlDocument line : lines.subList(1, lines.size())) {
                cases.add(new CaseAt(line, ""));
            }
            if (cases.isEmpty()) {
                throw head.error("", "the suite has no cases: add one JSON object a line after the header");
            }
        } else {
            head = YamlDocument.read(ref.file(), display);
            head.requireObject("");
            String[] keys = java.util.Arrays.copyOf(HEADER_KEYS, HEADER_KEYS.length + 1);
            keys[HEADER_KEYS.length] = "cases";
            head.onlyKeys("", keys);
            JsonNode list = head.node("/cases");
            if (!list.isArray() || list.isEmpty()) {
                throw head.error("/cases", "needs at least one case, e.g. [{id: first, input: {...}, expected: {...}}]");
            }
            for (int i = 0; i < list.size(); i++) {
                cases.add(new CaseAt(head, "/cases/" + i));
            }
        }
        return new SuiteParser(head, workflow, knownRoutes).suite(ref, display, bytes, cases);
    }

    private EvalSuite suite(SuiteReference ref, String display, byte[] bytes, List<CaseAt> at) {
        String name = header.requireText("/suite");
        if (!SUITE_NAME.matcher(name).matches()) {
            throw header.error("/suite", "must be lowercase letters, digits, '.', '_' or '-' (at most 64), got '" + name + "'");
        }
        double threshold = fraction(header, "/threshold", Double.NaN);
        if (Double.isNaN(threshold)) {
            throw header.error("/threshold", "is required: the quality score (0 to 1) a run must reach to pass, e.g. 0.9");
        }
        boolean gate = header.bool("/gate", false);
        List<WeightedScorer> scorers = scorers(header, "/scorers");
        List<EvalCase> cases = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        for (CaseAt c : at) {
            EvalCase kase = kase(c.doc(), c.pointer(), scorers, gate);
            String first = ids.putIfAbsent(kase.id(), kase.where());
            if (first != null) {
                throw c.doc().error(c.pointer() + "/id", "case id '" + kase.id() + "' is also used at " + first);
            }
            cases.add(kase);
        }
        return new EvalSuite(name, header.text("/description").orElse(""), display, ref.file(), ContentHash.sha256(bytes), threshold, gate, scorers, cases);
    }

    private EvalCase kase(YamlDocument doc, String p, List<WeightedScorer> suiteScorers, boolean gate) {
        doc.requireObject(p);
        doc.onlyKeys(p, CASE_KEYS);
        String id = doc.requireText(p + "/id");
        if (!CASE_ID.matcher(id).matches()) {
            throw doc.error(p + "/id", "must be letters, digits, '.', '_' or '-' (at most 128), got '" + id + "'");
        }
        doc.requireObject(p + "/input");
        JsonNode input = doc.node(p + "/input");
        JsonNode expected = doc.has(p + "/expected") ? doc.node(p + "/expected") : null;
        List<WeightedScorer> expect = scorers(doc, p + "/expect");
        List<String> tags = doc.textList(p + "/tags");
        EvalCase kase = new EvalCase(id, doc.text(p + "/description").orElse(""), input, expected, expect, tags, doc.where(p + "/id"));

        List<WeightedScorer> all = EvalSuite.scorersFor(suiteScorers, kase);
        for (int i = 0; i < expect.size(); i++) {
            String name = expect.get(i).name();
            if (suiteScorers.stream().anyMatch(s -> s.name().equals(name))) {
                throw doc.error(p + "/expect/" + i, "case '" + id + "' has a scorer named '" + name + "' as the suite does; give it a name: of its own");
            }
        }
        List<WeightedScorer> applicable = all.stream().filter(s -> s.appliesTo(kase)).toList();
        if (applicable.isEmpty()) {
            throw doc.error(p, "no scorer applies to case '" + id + "': the suite's scorers compare with an expected value the case does not give; "
                    + "add 'expected:' or an 'expect:' list");
        }
        if (gate && applicable.stream().allMatch(s -> s.scorer() instanceof ModelGraded)) {
            throw doc.error(p, "case '" + id + "' of a gating suite is judged by a model-graded scorer alone; a gate never rests on a judge model only: "
                    + "add another scorer");
        }
        List<Violation> bad = workflow.input().validate(input);
        if (!bad.isEmpty() && applicable.stream().noneMatch(s -> s.scorer() instanceof StatusIs st && st.statuses().contains(Observation.REJECTED))) {
            Violation first = bad.getFirst();
            throw doc.error(p + "/input" + first.pointer(), "does not satisfy the input schema of " + subject + ": " + first.message()
                    + "; a case whose input is meant to be refused says so with status: [rejected]");
        }
        return kase;
    }

    private List<WeightedScorer> scorers(YamlDocument doc, String pointer) {
        if (!doc.has(pointer)) {
            return List.of();
        }
        JsonNode list = doc.node(pointer);
        if (!list.isArray()) {
            throw doc.error(pointer, "must be a list of scorers, e.g. [schema_valid, {equals: {field: segment}, weight: 2}]");
        }
        List<WeightedScorer> out = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            WeightedScorer s = entry(doc, pointer + "/" + i);
            if (names.putIfAbsent(s.name(), pointer + "/" + i) != null) {
                throw doc.error(pointer + "/" + i, "another scorer here is also named '" + s.name() + "'; give one a name: of its own");
            }
            out.add(s);
        }
        return out;
    }

    /** {@code schema_valid}, or {@code {<kind>: <parameters>, weight: 2, pass: 0.8, name: ...}}. */
    private WeightedScorer entry(YamlDocument doc, String p) {
        JsonNode node = doc.node(p);
        if (node.isString()) {
            String kind = node.stringValue();
            if (!KINDS.contains(kind)) {
                throw doc.error(p, "unknown scorer '" + kind + "' (known: " + String.join(", ", KINDS) + ")");
            }
            if (!kind.equals("schema_valid")) {
                throw doc.error(p, "scorer '" + kind + "' needs parameters, e.g. {" + kind + ": " + example(kind) + "}");
            }
            return new WeightedScorer(kind, new SchemaValid(), WeightedScorer.DEFAULT_WEIGHT, WeightedScorer.DEFAULT_PASS);
        }
        if (!node.isObject()) {
            throw doc.error(p, "a scorer is a name such as schema_valid, or a mapping such as {equals: {field: segment}, weight: 2}");
        }
        List<String> kinds = new ArrayList<>();
        for (String key : node.propertyNames()) {
            if (KINDS.contains(key)) {
                kinds.add(key);
            } else if (!Set.of("weight", "pass", "name").contains(key)) {
                throw doc.error(p + "/" + key, "unknown field (a scorer is one of " + String.join(", ", KINDS) + ", with weight, pass and name)");
            }
        }
        if (kinds.size() != 1) {
            throw doc.error(p, kinds.isEmpty() ? "names no scorer (one of " + String.join(", ", KINDS) + ")"
                    : "names " + kinds.size() + " scorers (" + String.join(", ", kinds) + "); write each as an entry of its own");
        }
        String kind = kinds.getFirst();
        Scorer scorer = scorer(doc, p + "/" + kind, kind);
        double weight = number(doc, p + "/weight", WeightedScorer.DEFAULT_WEIGHT);
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw doc.error(p + "/weight", "must be a number above zero, got " + weight);
        }
        double pass = fraction(doc, p + "/pass", WeightedScorer.DEFAULT_PASS);
        String name = doc.text(p + "/name").orElse(scorer.defaultName());
        if (name.isBlank()) {
            throw doc.error(p + "/name", "must not be blank");
        }
        return new WeightedScorer(name, scorer, weight, pass);
    }

    private Scorer scorer(YamlDocument doc, String p, String kind) {
        try {
            return switch (kind) {
                case "schema_valid" -> {
                    JsonNode n = doc.node(p);
                    if (!(n.isNull() || n.isObject() && n.isEmpty() || n.isBoolean() && n.booleanValue())) {
                        throw doc.error(p, "takes no parameters: write schema_valid, or schema_valid: {}");
                    }
                    if (subject.output() == null) {
                        throw doc.error(p, subject + " declares no output schema (its last stage is a tool call): there is nothing to be valid against");
                    }
                    yield new SchemaValid();
                }
                case "equals" -> {
                    params(doc, p, "field", "pointer", "value", "ignore_case");
                    yield new Equals(target(doc, p, true), doc.has(p + "/value") ? doc.node(p + "/value") : null, doc.bool(p + "/ignore_case", false));
                }
                case "one_of" -> {
                    params(doc, p, "field", "pointer", "values", "ignore_case");
                    yield new OneOf(target(doc, p, true), values(doc, p + "/values", true), doc.bool(p + "/ignore_case", false));
                }
                case "regex" -> regex(doc, p);
                case "numeric" -> numeric(doc, p);
                case "contains", "not_contains" -> {
                    boolean negated = kind.equals("not_contains");
                    if (negated) {
                        params(doc, p, "field", "pointer", "value", "values", "ignore_case");
                    } else {
                        params(doc, p, "field", "pointer", "value", "values", "ignore_case", "any");
                    }
                    List<String> texts;
                    if (doc.has(p + "/value") == doc.has(p + "/values")) {
                        throw doc.error(p, "needs either value: (one text) or values: (a list of texts)");
                    } else if (doc.has(p + "/value")) {
                        texts = List.of(doc.requireText(p + "/value"));
                    } else {
                        texts = doc.textList(p + "/values");
                    }
                    for (int i = 0; i < texts.size(); i++) {
                        if (texts.get(i).isEmpty()) {
                            throw doc.error(doc.has(p + "/value") ? p + "/value" : p + "/values/" + i, "must not be empty: every output contains the empty text");
                        }
                    }
                    if (texts.isEmpty()) {
                        throw doc.error(p + "/values", "needs at least one text");
                    }
                    yield new Contains(target(doc, p, false), texts, doc.bool(p + "/ignore_case", false), !negated && doc.bool(p + "/any", false), negated);
                }
                case "overlap" -> overlap(doc, p);
                case "cel" -> {
                    String expression;
                    if (doc.node(p).isObject()) {
                        params(doc, p, "expression");
                        expression = doc.requireText(p + "/expression");
                    } else {
                        expression = doc.requireText(p);
                    }
                    try {
                        yield new CelAssertion(Rule.compile(expression));
                    } catch (IllegalArgumentException e) {
                        throw doc.error(doc.node(p).isObject() ? p + "/expression" : p, e.getMessage());
                    }
                }
                case "status" -> {
                    List<String> statuses = oneOrMore(doc, p, "a state, or a list of them, e.g. [waiting_for_review]");
                    for (int i = 0; i < statuses.size(); i++) {
                        if (!Observation.END_STATES.contains(statuses.get(i))) {
                            throw doc.error(item(doc, p, i), "'" + statuses.get(i) + "' is not a state a case can end in (one of "
                                    + String.join(", ", new TreeSet<>(Observation.END_STATES)) + ")");
                        }
                    }
                    yield new StatusIs(statuses);
                }
                case "result_type" -> {
                    List<String> wires = oneOrMore(doc, p, "full, draft or fallback, or a list of them");
                    List<ResultType> types = new ArrayList<>();
                    for (int i = 0; i < wires.size(); i++) {
                        try {
                            types.add(ResultType.fromWire(wires.get(i)));
                        } catch (IllegalArgumentException e) {
                            throw doc.error(item(doc, p, i), "must be full, draft or fallback, got '" + wires.get(i) + "'");
                        }
                    }
                    yield new ResultTypeIs(types);
                }
                case "error_code" -> {
                    List<String> codes = oneOrMore(doc, p, "an error code such as invalid_input, or a list of them");
                    for (int i = 0; i < codes.size(); i++) {
                        if (dev.mainstay.ErrorCode.fromCode(codes.get(i)).isEmpty()) {
                            throw doc.error(item(doc, p, i), "'" + codes.get(i) + "' is not an error code of Mainstay (see docs/api.md)");
                        }
                    }
                    yield new ErrorCodeIs(codes);
                }
                case "latency" -> {
                    doc.requireObject(p);
                    params(doc, p, "max");
                    Duration max = doc.duration(p + "/max", null);
                    if (max == null || max.isZero()) {
                        throw doc.error(p + "/max", "is required: the longest a case may take, e.g. 5s");
                    }
                    yield new LatencyCeiling(max);
                }
                case "cost" -> {
                    doc.requireObject(p);
                    params(doc, p, "max_usd");
                    String usd = doc.text(p + "/max_usd").orElseThrow(() -> doc.error(p + "/max_usd", "is required: the most a case may cost, e.g. \"0.01\""));
                    try {
                        yield new CostCeiling(AccountLimits.Money.micros(usd));
                    } catch (IllegalArgumentException e) {
                        throw doc.error(p + "/max_usd", e.getMessage());
                    }
                }
                case "model_graded" -> {
                    doc.requireObject(p);
                    params(doc, p, "rubric", "route", "scale");
                    String route = doc.requireText(p + "/route");
                    if (!knownRoutes.isEmpty() && !knownRoutes.contains(route)) {
                        throw doc.error(p + "/route", "unknown route '" + route + "' (configured routes: " + String.join(", ", new TreeSet<>(knownRoutes)) + ")");
                    }
                    yield new ModelGraded(doc.requireText(p + "/rubric"), route, doc.integer(p + "/scale", ModelGraded.DEFAULT_SCALE, 2, 10));
                }
                default -> throw new IllegalStateException("scorer kind " + kind + " is listed but not read. Indicates a bug.");
            };
        } catch (IllegalArgumentException e) {
            // The records' own checks, for anything the reading above let through.
            throw doc.error(p, e.getMessage());
        }
    }

    private Scorer regex(YamlDocument doc, String p) {
        params(doc, p, "field", "pointer", "pattern", "ignore_case", "full");
        String source = doc.requireText(p + "/pattern");
        int flags = Pattern.UNICODE_CHARACTER_CLASS | (doc.bool(p + "/ignore_case", false) ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
        Pattern pattern;
        try {
            pattern = Pattern.compile(source, flags);
        } catch (PatternSyntaxException e) {
            throw doc.error(p + "/pattern", "not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
        }
        return new Matches(target(doc, p, true), pattern, doc.bool(p + "/full", false));
    }

    private Scorer numeric(YamlDocument doc, String p) {
        params(doc, p, "field", "pointer", "value", "tolerance", "min", "max");
        BigDecimal value = decimal(doc, p + "/value");
        BigDecimal min = decimal(doc, p + "/min");
        BigDecimal max = decimal(doc, p + "/max");
        BigDecimal tolerance = decimal(doc, p + "/tolerance");
        if (value != null && (min != null || max != null)) {
            throw doc.error(p, "takes value: (with tolerance:) or min: and max:, not both");
        }
        if (tolerance != null && (min != null || max != null)) {
            throw doc.error(p + "/tolerance", "applies to value:, not to min: and max:");
        }
        if (tolerance != null && tolerance.signum() < 0) {
            throw doc.error(p + "/tolerance", "must be zero or more, got " + tolerance.toPlainString());
        }
        if (min != null && max != null && min.compareTo(max) > 0) {
            throw doc.error(p + "/min", "is above max (" + min.toPlainString() + " > " + max.toPlainString() + ")");
        }
        return new Numeric(target(doc, p, true), value, tolerance == null ? BigDecimal.ZERO : tolerance, min, max);
    }

    private Scorer overlap(YamlDocument doc, String p) {
        params(doc, p, "field", "pointer", "values", "metric", "ignore_case", "match");
        String metric = doc.text(p + "/metric").orElse("f1");
        Overlap.Metric m;
        try {
            m = Overlap.Metric.valueOf(metric.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw doc.error(p + "/metric", "must be f1, precision or recall, got '" + metric + "'");
        }
        String match = doc.text(p + "/match").orElse("exact");
        if (!match.equals("exact") && !match.equals("contains")) {
            throw doc.error(p + "/match", "must be exact or contains, got '" + match + "'");
        }
        return new Overlap(target(doc, p, true), doc.has(p + "/values") ? values(doc, p + "/values", false) : null, m, doc.bool(p + "/ignore_case", false),
                match.equals("contains"));
    }

    /** {@code field: name} or {@code pointer: /a/0/b}, checked against the output schema. */
    private OutputPointer target(YamlDocument doc, String p, boolean required) {
        boolean field = doc.has(p + "/field");
        boolean pointer = doc.has(p + "/pointer");
        if (field && pointer) {
            throw doc.error(p, "takes field: or pointer:, not both");
        }
        if (!field && !pointer) {
            if (required) {
                throw doc.error(p, "needs field: (a top-level field of the output) or pointer: (a JSON Pointer such as /points/0)");
            }
            return OutputPointer.WHOLE;
        }
        String at = field ? p + "/field" : p + "/pointer";
        String text = doc.requireText(at);
        OutputPointer target;
        if (field) {
            if (text.isEmpty()) {
                throw doc.error(at, "must name a field; for the whole output leave field: and pointer: out");
            }
            target = OutputPointer.field(text);
        } else {
            if (!text.isEmpty() && !text.startsWith("/")) {
                throw doc.error(at, "a JSON Pointer starts with '/', e.g. /" + text + " (or write field: " + text + ")");
            }
            try {
                target = new OutputPointer(text);
            } catch (IllegalArgumentException e) {
                throw doc.error(at, "not a valid JSON Pointer: " + e.getMessage());
            }
        }
        if (subject.output() != null) {
            Optional<String> problem = pointerProblem(subject.output().node(), target.pointer());
            if (problem.isPresent()) {
                throw doc.error(at, "the output of " + subject + " " + problem.get());
            }
        }
        return target;
    }

    /**
     * Why the output schema rules out a value at {@code pointer}, when it plainly does: a field
     * the schema's closed object does not declare, or a step into a string. A schema that
     * combines others ({@code anyOf}, {@code $ref}) is trusted rather than second-guessed.
     */
    static Optional<String> pointerProblem(JsonNode schema, String pointer) {
        if (pointer.isEmpty()) {
            return Optional.empty();
        }
        JsonNode node = schema;
        String walked = "";
        for (String raw : pointer.substring(1).split("/", -1)) {
            String token = raw.replace("~1", "/").replace("~0", "~");
            if (!node.isObject() || node.has("anyOf") || node.has("oneOf") || node.has("allOf") || node.has("$ref")) {
                return Optional.empty();
            }
            JsonNode props = node.path("properties");
            Set<String> types = types(node);
            if (props.has(token)) {
                node = props.get(token);
            } else if (node.has("items") && (token.matches("0|[1-9]\\d{0,8}")) && !types.contains("object")) {
                node = node.get("items");
            } else if (types.size() == 1 && Set.of("string", "number", "integer", "boolean", "null").containsAll(types)) {
                return Optional.of("holds a " + types.iterator().next() + " at " + (walked.isEmpty() ? "the top" : walked) + ", which has no '" + token + "'");
            } else if (types.equals(Set.of("array")) && !token.matches("0|[1-9]\\d{0,8}")) {
                return Optional.of("holds a list at " + (walked.isEmpty() ? "the top" : walked) + ": '" + token + "' is not an index");
            } else if ((types.contains("object") || props.isObject()) && node.path("additionalProperties").isBoolean() && !node.get("additionalProperties").booleanValue()) {
                return Optional.of("has no field '" + token + "'" + (walked.isEmpty() ? "" : " in " + walked) + " (its fields: "
                        + String.join(", ", props.propertyNames()) + ")");
            } else {
                return Optional.empty();
            }
            walked = walked + "/" + raw;
        }
        return Optional.empty();
    }

    private static Set<String> types(JsonNode schema) {
        JsonNode type = schema.get("type");
        Set<String> out = new java.util.HashSet<>();
        if (type != null && type.isString()) {
            out.add(type.stringValue());
        } else if (type != null && type.isArray()) {
            type.values().forEach(t -> out.add(t.asString()));
        }
        return out;
    }

    private static void params(YamlDocument doc, String p, String... allowed) {
        if (!doc.node(p).isObject()) {
            throw doc.error(p, "must be a mapping of parameters (" + String.join(", ", allowed) + ")");
        }
        doc.onlyKeys(p, allowed);
    }

    private static List<JsonNode> values(YamlDocument doc, String p, boolean required) {
        JsonNode n = doc.node(p);
        if (n.isMissingNode() || n.isNull()) {
            if (required) {
                throw doc.error(p, "is required: a list of values");
            }
            return null;
        }
        if (!n.isArray() || required && n.isEmpty()) {
            throw doc.error(p, "must be a list of values" + (required ? " with at least one" : ""));
        }
        List<JsonNode> out = new ArrayList<>();
        n.values().forEach(out::add);
        return out;
    }

    private static List<String> oneOrMore(YamlDocument doc, String p, String what) {
        JsonNode n = doc.node(p);
        if (!(n.isString() || n.isArray() && !n.isEmpty())) {
            throw doc.error(p, "must be " + what);
        }
        return doc.textList(p);
    }

    private static String item(YamlDocument doc, String p, int i) {
        return doc.node(p).isArray() ? p + "/" + i : p;
    }

    private static BigDecimal decimal(YamlDocument doc, String p) {
        JsonNode n = doc.node(p);
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        return JsonValues.number(n).orElseThrow(() -> doc.error(p, "must be a number, got " + JsonValues.show(n)));
    }

    private static double number(YamlDocument doc, String p, double fallback) {
        JsonNode n = doc.node(p);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
            throw doc.error(p, "must be a number, got " + JsonValues.show(n));
        }
        return n.doubleValue();
    }

    private static double fraction(YamlDocument doc, String p, double fallback) {
        double v = number(doc, p, fallback);
        if (!Double.isNaN(v) && !(v >= 0 && v <= 1)) {
            throw doc.error(p, "must be from 0 to 1, got " + doc.node(p).asString());
        }
        return v;
    }

    private static String example(String kind) {
        return switch (kind) {
            case "equals" -> "{field: segment}";
            case "one_of" -> "{field: segment, values: [enterprise, mid_market]}";
            case "regex" -> "{field: reply, pattern: \"^Hello\"}";
            case "numeric" -> "{field: score, min: 0, max: 100}";
            case "contains", "not_contains" -> "{values: [refund]}";
            case "overlap" -> "{field: tags, metric: f1}";
            case "cel" -> "\"size(output.points) <= input.max_points\"";
            case "status" -> "[completed]";
            case "result_type" -> "[full]";
            case "error_code" -> "[invalid_input]";
            case "latency" -> "{max: 5s}";
            case "cost" -> "{max_usd: \"0.01\"}";
            case "model_graded" -> "{rubric: \"...\", route: judge}";
            default -> "{}";
        };
    }

    static String display(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    }
}
