package dev.mainstay.evals;

import java.math.BigDecimal;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * {@code numeric}: the number at a field or pointer is within {@code tolerance} of a value (or of
 * the case's expected value there), or within {@code [min, max]}. A number written as a string
 * ({@code "42.5"}) counts as that number. Decimal arithmetic is exact: 0.3 is within 0.1 of 0.2.
 *
 * @param value the target; {@code null} with no bounds to compare with the case's expected answer
 * @param tolerance the largest allowed distance from the target (absolute), zero or more
 * @param min the lowest allowed value, or {@code null}
 * @param max the highest allowed value, or {@code null}
 */
record Numeric(OutputPointer at, BigDecimal value, BigDecimal tolerance, BigDecimal min, BigDecimal max) implements Scorer {
    Numeric {
        if (tolerance == null || tolerance.signum() < 0) {
            throw new IllegalArgumentException("tolerance must be zero or more, got " + tolerance);
        }
        if ((min != null || max != null) && value != null) {
            throw new IllegalArgumentException("numeric takes a value (with a tolerance) or bounds (min, max), not both");
        }
        if (min != null && max != null && min.compareTo(max) > 0) {
            throw new IllegalArgumentException("min " + min.toPlainString() + " is above max " + max.toPlainString());
        }
    }

    private boolean ranged() {
        return min != null || max != null;
    }

    @Override
    public String kind() {
        return "numeric";
    }

    @Override
    public String defaultName() {
        return kind() + " " + at;
    }

    @Override
    public boolean needsExpected() {
        return value == null && !ranged();
    }

    @Override
    public boolean appliesTo(EvalCase kase) {
        return !needsExpected() || !at.read(kase.expected()).isMissingNode();
    }

    @Override
    public Score score(Evidence e) {
        JsonNode got = at.read(e);
        if (got.isMissingNode()) {
            return at.absent(e);
        }
        Optional<BigDecimal> number = JsonValues.number(got);
        if (number.isEmpty()) {
            return Score.Scored.fail(at.display() + " is " + JsonValues.show(got) + ", not a number");
        }
        BigDecimal n = number.get();
        if (ranged()) {
            boolean above = min == null || n.compareTo(min) >= 0;
            boolean below = max == null || n.compareTo(max) <= 0;
            String range = "[" + (min == null ? "-inf" : min.toPlainString()) + ", " + (max == null ? "+inf" : max.toPlainString()) + "]";
            return above && below ? Score.Scored.pass(at.display() + " is " + n.toPlainString() + ", within " + range)
                    : Score.Scored.fail(at.display() + " is " + n.toPlainString() + ", outside " + range);
        }
        BigDecimal target;
        if (value != null) {
            target = value;
        } else {
            JsonNode want = at.read(e.kase().expected());
            if (want.isMissingNode()) {
                return new Score.Skipped("the case has no expected value at " + at.display());
            }
            Optional<BigDecimal> w = JsonValues.number(want);
            if (w.isEmpty()) {
                return Score.Scored.fail("the expected value at " + at.display() + " is " + JsonValues.show(want) + ", not a number");
            }
            target = w.get();
        }
        BigDecimal off = n.subtract(target).abs();
        String within = tolerance.signum() == 0 ? "" : " (tolerance " + tolerance.toPlainString() + ")";
        return off.compareTo(tolerance) <= 0
                ? Score.Scored.pass(at.display() + " is " + n.toPlainString() + ", expected " + target.toPlainString() + within)
                : Score.Scored.fail(at.display() + " is " + n.toPlainString() + ", expected " + target.toPlainString() + within + ": off by " + off.toPlainString());
    }
}
