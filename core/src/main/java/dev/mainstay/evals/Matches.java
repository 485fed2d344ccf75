package dev.mainstay.evals;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * {@code regex}: the text at a field or pointer matches a regular expression (Java syntax, Unicode
 * character classes, so {@code \w} matches é); found anywhere in it unless {@code full}. A number
 * or boolean is matched as its text; a list matches when every item does, and scores the share
 * of items that do.
 */
record Matches(OutputPointer at, Pattern pattern, boolean full) implements Scorer {

    @Override
    public String kind() {
        return "regex";
    }

    @Override
    public String defaultName() {
        return kind() + " " + at;
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        JsonNode got = at.read(e);
        if (got.isMissingNode() || got.isNull()) {
            return got.isNull() && e.observed().hasOutput() ? Score.Scored.fail(at.display() + " is null, not text") : at.absent(e);
        }
        if (got.isObject()) {
            return Score.Scored.fail(at.display() + " is an object, not text");
        }
        List<JsonNode> items = new ArrayList<>();
        if (got.isArray()) {
            got.values().forEach(items::add);
            if (items.isEmpty()) {
                return Score.Scored.fail(at.display() + " is an empty list: nothing matches /" + pattern.pattern() + "/");
            }
        } else {
            items.add(got);
        }
        int matched = 0;
        String firstMiss = null;
        for (JsonNode item : items) {
            String text = JsonValues.normalize(JsonValues.text(item), false);
            boolean ok = !item.isContainer() && (full ? pattern.matcher(text).matches() : pattern.matcher(text).find());
            if (ok) {
                matched++;
            } else if (firstMiss == null) {
                firstMiss = JsonValues.show(item);
            }
        }
        String how = (full ? "fully match" : "match") + " /" + pattern.pattern() + "/";
        if (!got.isArray()) {
            return matched == 1 ? Score.Scored.pass(at.display() + " " + (full ? "fully matches" : "matches") + " /" + pattern.pattern() + "/")
                    : Score.Scored.fail(at.display() + " is " + firstMiss + ", which does not " + how);
        }
        if (matched == items.size()) {
            return Score.Scored.pass("all " + items.size() + " items of " + at.display() + " " + how);
        }
        return new Score.Scored((double) matched / items.size(), matched + " of " + items.size() + " items of " + at.display() + " " + how
                + "; the first that does not: " + firstMiss);
    }
}
