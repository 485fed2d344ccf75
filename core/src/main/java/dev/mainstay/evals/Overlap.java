package dev.mainstay.evals;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code overlap}: the list at a field or pointer against an expected list (given, or the case's
 * expected value there), as precision (the share of the output's items that are expected),
 * recall (the share of expected items present) or F1 (their harmonic mean). Items compare as
 * text in Unicode normal form C, so {@code "3"} and {@code 3} meet; duplicates count once. With
 * {@code match: contains}, an output item matches an expected one that it contains, for key points
 * that a model phrases at more length. Two empty lists agree fully.
 *
 * @param values the expected items; {@code null} to use the case's expected value
 */
record Overlap(OutputPointer at, List<JsonNode> values, Metric metric, boolean ignoreCase, boolean containsMatch) implements Scorer {
    /** Which of the three numbers is the score. */
    enum Metric {
        PRECISION, RECALL, F1;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    Overlap {
        values = values == null ? null : List.copyOf(values);
    }

    @Override
    public String kind() {
        return "overlap";
    }

    @Override
    public String defaultName() {
        return kind() + " " + at;
    }

    @Override
    public boolean needsExpected() {
        return values == null;
    }

    @Override
    public boolean appliesTo(EvalCase kase) {
        return values != null || !at.read(kase.expected()).isMissingNode();
    }

    /** Precision, recall and F1 of {@code actual} against {@code expected}, with the items on either side that found no partner. */
    record Counts(double precision, double recall, double f1, List<String> unexpected, List<String> missing) {
        double of(Metric m) {
            return switch (m) {
                case PRECISION -> precision;
                case RECALL -> recall;
                case F1 -> f1;
            };
        }
    }

    Counts count(List<String> actual, List<String> expected) {
        Set<String> a = items(actual);
        Set<String> x = items(expected);
        List<String> unexpected = new ArrayList<>();
        for (String item : a) {
            if (x.stream().noneMatch(want -> matches(item, want))) {
                unexpected.add(item);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String want : x) {
            if (a.stream().noneMatch(item -> matches(item, want))) {
                missing.add(want);
            }
        }
        double precision = a.isEmpty() ? 1 : (double) (a.size() - unexpected.size()) / a.size();
        double recall = x.isEmpty() ? 1 : (double) (x.size() - missing.size()) / x.size();
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        // 2pr/(p+r) may land a hair above 1 or the other side of a bound in floating point.
        return new Counts(precision, recall, Math.min(1, Math.max(0, f1)), unexpected, missing);
    }

    private boolean matches(String item, String want) {
        return containsMatch ? item.contains(want) : item.equals(want);
    }

    private Set<String> items(List<String> texts) {
        Set<String> out = new LinkedHashSet<>();
        texts.forEach(t -> out.add(JsonValues.normalize(t.strip(), ignoreCase)));
        return out;
    }

    @Override
    public Score score(Evidence e) {
        List<String> expected;
        if (values != null) {
            expected = values.stream().map(JsonValues::text).toList();
        } else {
            JsonNode want = at.read(e.kase().expected());
            if (want.isMissingNode()) {
                return new Score.Skipped("the case has no expected value at " + at.display());
            }
            if (!want.isArray()) {
                return Score.Scored.fail("the expected value at " + at.display() + " is " + JsonValues.show(want) + ", not a list");
            }
            expected = want.valueStream().map(JsonValues::text).toList();
        }
        JsonNode got = at.read(e);
        if (got.isMissingNode()) {
            return at.absent(e);
        }
        if (!got.isArray()) {
            return Score.Scored.fail(at.display() + " is " + JsonValues.show(got) + ", not a list");
        }
        Counts c = count(got.valueStream().map(JsonValues::text).toList(), expected);
        StringBuilder reason = new StringBuilder(metric.wire()).append(' ').append(format(c.of(metric)))
                .append(" (precision ").append(format(c.precision())).append(", recall ").append(format(c.recall())).append(')');
        if (!c.missing().isEmpty()) {
            reason.append("; missing ").append(String.join(", ", c.missing().stream().map(JsonValues::show).toList()));
        }
        if (!c.unexpected().isEmpty()) {
            reason.append("; unexpected ").append(String.join(", ", c.unexpected().stream().map(JsonValues::show).toList()));
        }
        return new Score.Scored(c.of(metric), reason.toString());
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
