package dev.mainstay.evals;

import java.util.List;
import tools.jackson.databind.JsonNode;

/** {@code one_of}: the output at a field or pointer equals one of the listed values (compared as {@link Equals} does). */
record OneOf(OutputPointer at, List<JsonNode> values, boolean ignoreCase) implements Scorer {
    OneOf {
        values = List.copyOf(values);
        if (values.isEmpty()) {
            throw new IllegalArgumentException("one_of needs at least one value");
        }
    }

    @Override
    public String kind() {
        return "one_of";
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
        if (got.isMissingNode()) {
            return at.absent(e);
        }
        for (JsonNode v : values) {
            if (JsonValues.equal(got, v, ignoreCase)) {
                return Score.Scored.pass(at.display() + " is " + JsonValues.show(got) + ", one of the " + values.size() + " allowed");
            }
        }
        return Score.Scored.fail(at.display() + " is " + JsonValues.show(got) + ", not one of " + JsonValues.show(dev.mainstay.Json.array().addAll(values)));
    }
}
