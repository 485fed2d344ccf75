package dev.mainstay.evals;

import dev.mainstay.contract.Rule;
import dev.mainstay.contract.Violation;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * {@code cel}: a CEL expression over {@code input} (the case's input, with the workflow's
 * defaults filled in) and {@code output} that must be true: the same language, options and
 * bounds as a workflow's output rules. A job without output is {@code null} to the expression.
 */
record CelAssertion(Rule rule) implements Scorer {

    @Override
    public String kind() {
        return "cel";
    }

    @Override
    public String defaultName() {
        return kind() + " " + rule.expression();
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        JsonNode input = e.subject().input().withDefaults(e.kase().input());
        Optional<Violation> broken = rule.evaluate(input, e.observed().output());
        return broken.isEmpty() ? Score.Scored.pass("'" + rule.expression() + "' holds") : Score.Scored.fail(broken.get().message());
    }
}
