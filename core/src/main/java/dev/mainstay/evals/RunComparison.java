package dev.mainstay.evals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.MissingNode;

/**
 * Two runs of one suite compared case by case (for example the active version against a
 * candidate): which cases improved, regressed or stayed as they were, what differs in each, and
 * how far the quality score moved.
 *
 * @param cases one entry per case id of either run: the earlier run's cases in order, then the
 *     cases only the later run has
 * @param qualityBefore the earlier run's quality score
 * @param qualityAfter the later run's quality score
 */
public record RunComparison(List<CaseChange> cases, double qualityBefore, double qualityAfter) {
    /** Differences listed per case at most; the rest are counted. */
    public static final int MAX_DIFFERENCES = 100;

    public RunComparison {
        cases = List.copyOf(cases);
    }

    /** How one case moved between the runs. */
    public enum Change {
        /** It passes now and did not, or its score rose without its pass changing. */
        IMPROVED,
        /** It passed and no longer does, or its score fell without its pass changing. */
        REGRESSED,
        /** Same pass, same score. */
        UNCHANGED,
        /** Only the later run has it. */
        ADDED,
        /** Only the earlier run has it. */
        REMOVED,
        /** One run or both scored nothing on it (only a model-graded scorer, grading off): no verdict either way. */
        UNSCORED
    }

    /**
     * One field whose value differs between the runs.
     *
     * @param field a JSON Pointer into the case result: {@code /status}, {@code /result_type},
     *     {@code /error_code}, {@code /score}, {@code /passed}, {@code /scores/<scorer name>} or
     *     {@code /output/...}
     * @param before its value in the earlier run; a missing node when it had none
     * @param after its value in the later run; a missing node when it has none
     */
    public record Difference(String field, JsonNode before, JsonNode after) {
        public Difference {
            before = before == null ? MissingNode.getInstance() : before;
            after = after == null ? MissingNode.getInstance() : after;
        }
    }

    /**
     * One case in both runs, or in one of them.
     *
     * @param before the earlier run's result; {@code null} for an added case
     * @param after the later run's result; {@code null} for a removed case
     * @param differences what differs, at most {@link #MAX_DIFFERENCES}
     * @param omitted how many further differences were not listed
     */
    public record CaseChange(String caseId, Change change, CaseResult before, CaseResult after, List<Difference> differences, int omitted) {
        public CaseChange {
            differences = List.copyOf(differences);
        }
    }

    /**
     * Compares {@code before} (e.g. the active version's run) with {@code after} (the candidate's).
     *
     * @throws IllegalArgumentException when a run holds a case id twice
     */
    public static RunComparison of(List<CaseResult> before, List<CaseResult> after) {
        Map<String, CaseResult> a = byId(before);
        Map<String, CaseResult> b = byId(after);
        Set<String> ids = new LinkedHashSet<>(a.keySet());
        ids.addAll(b.keySet());
        List<CaseChange> out = new ArrayList<>();
        for (String id : ids) {
            CaseResult x = a.get(id);
            CaseResult y = b.get(id);
            if (x == null) {
                out.add(new CaseChange(id, Change.ADDED, null, y, List.of(), 0));
            } else if (y == null) {
                out.add(new CaseChange(id, Change.REMOVED, x, null, List.of(), 0));
            } else {
                List<Difference> diffs = differences(x, y);
                int omitted = Math.max(0, diffs.size() - MAX_DIFFERENCES);
                out.add(new CaseChange(id, change(x, y), x, y, diffs.subList(0, diffs.size() - omitted), omitted));
            }
        }
        return new RunComparison(out, RunSummary.quality(before), RunSummary.quality(after));
    }

    private static Map<String, CaseResult> byId(List<CaseResult> results) {
        Map<String, CaseResult> out = new LinkedHashMap<>();
        for (CaseResult r : results) {
            if (out.put(r.caseId(), r) != null) {
                throw new IllegalArgumentException("case " + r.caseId() + " appears twice in one run");
            }
        }
        return out;
    }

    static Change change(CaseResult x, CaseResult y) {
        if (!x.scored() || !y.scored()) {
            return Change.UNSCORED;
        }
        if (x.passed() != y.passed()) {
            return y.passed() ? Change.IMPROVED : Change.REGRESSED;
        }
        int c = Double.compare(y.score().getAsDouble(), x.score().getAsDouble());
        return c > 0 ? Change.IMPROVED : c < 0 ? Change.REGRESSED : Change.UNCHANGED;
    }

    private static List<Difference> differences(CaseResult x, CaseResult y) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        List<Difference> out = new ArrayList<>();
        Observation o = x.observed();
        Observation p = y.observed();
        field(out, "/status", f.stringNode(o.status()), f.stringNode(p.status()));
        field(out, "/result_type", o.resultType() == null ? null : f.stringNode(o.resultType().wire()), p.resultType() == null ? null : f.stringNode(p.resultType().wire()));
        field(out, "/error_code", o.errorCode() == null ? null : f.stringNode(o.errorCode()), p.errorCode() == null ? null : f.stringNode(p.errorCode()));
        field(out, "/score", x.score().isPresent() ? f.numberNode(x.score().getAsDouble()) : null, y.score().isPresent() ? f.numberNode(y.score().getAsDouble()) : null);
        field(out, "/passed", f.booleanNode(x.passed()), f.booleanNode(y.passed()));
        Set<String> names = new LinkedHashSet<>();
        x.scores().forEach(s -> names.add(s.name()));
        y.scores().forEach(s -> names.add(s.name()));
        for (String name : names) {
            JsonNode s = x.scorer(name).flatMap(r -> r.value().isPresent() ? java.util.Optional.of(f.numberNode(r.value().getAsDouble())) : java.util.Optional.empty()).orElse(null);
            JsonNode t = y.scorer(name).flatMap(r -> r.value().isPresent() ? java.util.Optional.of(f.numberNode(r.value().getAsDouble())) : java.util.Optional.empty()).orElse(null);
            field(out, "/scores/" + escape(name), s, t);
        }
        output(out, "/output", o.output(), p.output());
        return out;
    }

    private static void field(List<Difference> out, String field, JsonNode before, JsonNode after) {
        JsonNode b = before == null ? MissingNode.getInstance() : before;
        JsonNode a = after == null ? MissingNode.getInstance() : after;
        if (b.isMissingNode() && a.isMissingNode()) {
            return;
        }
        if (b.isMissingNode() || a.isMissingNode() || !JsonValues.equal(b, a, false)) {
            out.add(new Difference(field, b, a));
        }
    }

    /** The leaves where two outputs differ, as pointers; a whole subtree when its shape changed. */
    private static void output(List<Difference> out, String pointer, JsonNode before, JsonNode after) {
        if (!before.isMissingNode() && !after.isMissingNode() && JsonValues.equal(before, after, false)) {
            return;
        }
        if (before.isObject() && after.isObject()) {
            Set<String> keys = new LinkedHashSet<>(before.propertyNames());
            keys.addAll(after.propertyNames());
            for (String k : keys) {
                output(out, pointer + "/" + escape(k), before.path(k), after.path(k));
            }
        } else if (before.isArray() && after.isArray()) {
            for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
                output(out, pointer + "/" + i, before.path(i), after.path(i));
            }
        } else {
            out.add(new Difference(pointer, before, after));
        }
    }

    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** How many cases moved that way. */
    public int count(Change change) {
        return (int) cases.stream().filter(c -> c.change() == change).count();
    }

    /** The cases that regressed, in order: what a refused activation names. */
    public List<CaseChange> regressed() {
        return cases.stream().filter(c -> c.change() == Change.REGRESSED).toList();
    }

    /** qualityAfter - qualityBefore, to nine decimal places. */
    public double qualityDelta() {
        // Both are exact to nine decimals; subtracting their decimal forms keeps the difference exact too.
        return java.math.BigDecimal.valueOf(qualityAfter).subtract(java.math.BigDecimal.valueOf(qualityBefore)).doubleValue();
    }

    /** How far the quality score fell, 0 when it did not. */
    public double regression() {
        return Math.max(0, -qualityDelta());
    }
}
