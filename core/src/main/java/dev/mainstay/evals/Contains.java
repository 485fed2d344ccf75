package dev.mainstay.evals;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code contains} and {@code not_contains}: texts that must (or must not) appear in the output,
 * each within one string of it (every string and number under the field or pointer, or under the
 * whole output when neither is given). Compared in Unicode normal form C, optionally ignoring case.
 * {@code contains} scores the share of texts found (with {@code any}, 1 when one is found);
 * {@code not_contains} scores 0 as soon as one is found.
 */
record Contains(OutputPointer at, List<String> texts, boolean ignoreCase, boolean any, boolean negated) implements Scorer {
    Contains {
        texts = List.copyOf(texts);
        if (texts.isEmpty() || texts.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("needs at least one text, none of them empty");
        }
    }

    @Override
    public String kind() {
        return negated ? "not_contains" : "contains";
    }

    @Override
    public String defaultName() {
        return at.pointer().isEmpty() ? kind() : kind() + " " + at;
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        var node = at.read(e);
        if (node.isMissingNode()) {
            return at.absent(e);
        }
        List<String> haystack = JsonValues.scalars(node).stream().map(s -> JsonValues.normalize(s, ignoreCase)).toList();
        List<String> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String text : texts) {
            String needle = JsonValues.normalize(text, ignoreCase);
            (haystack.stream().anyMatch(h -> h.contains(needle)) ? found : missing).add(text);
        }
        String in = at.pointer().isEmpty() ? "the output" : at.display();
        if (negated) {
            return found.isEmpty() ? Score.Scored.pass(in + " contains none of " + quoted(texts))
                    : Score.Scored.fail(in + " contains " + quoted(found) + ", which it must not");
        }
        if (missing.isEmpty() || any && !found.isEmpty()) {
            return Score.Scored.pass(in + " contains " + quoted(found));
        }
        if (any || found.isEmpty()) {
            return Score.Scored.fail(in + " contains none of " + quoted(texts));
        }
        return new Score.Scored((double) found.size() / texts.size(), in + " contains " + found.size() + " of " + texts.size() + " texts; missing " + quoted(missing));
    }

    private static String quoted(List<String> texts) {
        return String.join(", ", texts.stream().map(JsonValues::show).toList());
    }
}
