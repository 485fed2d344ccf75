package dev.mainstay.evals;

import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.Violation;
import java.util.List;

/** {@code schema_valid}: the output satisfies the output schema of the version under test. */
record SchemaValid() implements Scorer {
    private static final int SHOWN = 3;

    @Override
    public String kind() {
        return "schema_valid";
    }

    @Override
    public String defaultName() {
        return kind();
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        if (!e.observed().hasOutput()) {
            return OutputPointer.WHOLE.absent(e);
        }
        JsonSchema schema = e.subject().output();
        if (schema == null) {
            return Score.Scored.fail(e.subject() + " declares no output schema: its last stage is a tool call");
        }
        List<Violation> violations = schema.validate(e.observed().output());
        if (violations.isEmpty()) {
            return Score.Scored.pass("the output satisfies the output schema of " + e.subject());
        }
        List<String> shown = violations.stream().limit(SHOWN).map(Violation::toString).toList();
        return Score.Scored.fail(violations.size() + " violation(s) of the output schema of " + e.subject() + ": " + String.join("; ", shown)
                + (violations.size() > SHOWN ? "; ..." : ""));
    }
}
