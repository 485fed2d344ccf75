package dev.mainstay.evals;

import tools.jackson.databind.JsonNode;

/**
 * {@code equals}: the output at a field or pointer equals a value, or the case's expected value
 * at the same place. Numbers compare by value (3 equals 3.0), strings in Unicode normal form C;
 * a number written as a string is not the number (use {@code numeric} to accept it).
 *
 * @param value the value to find; {@code null} to compare with the case's expected answer
 */
record Equals(OutputPointer at, JsonNode value, boolean ignoreCase) implements Scorer {

    @Override
    public String kind() {
        return "equals";
    }

    @Override
    public String defaultName() {
        return kind() + " " + at;
    }

    @Override
    public boolean needsExpected() {
        return value == null;
    }

    @Override
    public boolean appliesTo(EvalCase kase) {
        return value != null || !at.read(kase.expected()).isMissingNode();
    }

    @Override
    public Score score(Evidence e) {
        JsonNode want = value != null ? value : at.read(e.kase().expected());
        if (want.isMissingNode()) {
            return new Score.Skipped("the case has no expected value at " + at.display());
        }
        JsonNode got = at.read(e);
        if (got.isMissingNode()) {
            return at.absent(e);
        }
        if (JsonValues.equal(got, want, ignoreCase)) {
            return Score.Scored.pass(at.display() + " is " + JsonValues.show(got) + " as expected");
        }
        String hint = "";
        if (got.isString() != want.isString() && JsonValues.number(got).isPresent() && JsonValues.number(want).isPresent()
                && JsonValues.number(got).get().compareTo(JsonValues.number(want).get()) == 0) {
            hint = " (the same number, but " + (got.isString() ? "written as a string" : "not written as a string") + ")";
        }
        return Score.Scored.fail(at.display() + " is " + JsonValues.show(got) + ", expected " + JsonValues.show(want) + hint);
    }
}
