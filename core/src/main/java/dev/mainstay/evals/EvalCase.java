package dev.mainstay.evals;

import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/**
 * One case of a suite: an input to submit, and what to expect of the answer.
 *
 * @param id stable within its suite: two runs are compared case by case on it
 * @param input the request body to submit
 * @param expected the reference answer (often partial: only the fields that matter), which
 *     scorers without a value of their own compare with; a missing node when the case has none
 * @param expect scorers for this case only, beside the suite's
 * @param where {@code file:line} of the case
 */
public record EvalCase(String id, String description, JsonNode input, JsonNode expected, List<WeightedScorer> expect, List<String> tags, String where) {
    public EvalCase {
        if (id == null || input == null || where == null) {
            throw new IllegalArgumentException("a case needs an id, an input and where it was written");
        }
        description = description == null ? "" : description;
        expected = expected == null ? MissingNode.getInstance() : expected;
        expect = List.copyOf(expect);
        tags = List.copyOf(tags);
    }

    /**
     * Whether the case expects the job to hold no result: its own {@code status:} allows only
     * states without one ({@link Observation#WITHOUT_RESULT}), as for an input that must be
     * refused or a prompt injection that must wait for a person.
     */
    public boolean expectsNoResult() {
        return expect.stream().anyMatch(s -> s.scorer() instanceof StatusIs st && Observation.WITHOUT_RESULT.containsAll(st.statuses()));
    }

    /** Whether the case carries a reference answer. */
    public boolean hasExpected() {
        return !expected.isMissingNode();
    }
}
