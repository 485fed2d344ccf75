package dev.mainstay.evals;

import dev.mainstay.limits.AccountLimits;

/** {@code cost}: the case's job spent at most {@code maxMicros} micro-dollars. */
record CostCeiling(long maxMicros) implements Scorer {
    CostCeiling {
        if (maxMicros < 0) {
            throw new IllegalArgumentException("the cost ceiling cannot be negative");
        }
    }

    @Override
    public String kind() {
        return "cost";
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
    public boolean readsOutput() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        long spent = e.observed().usage().costMicros();
        String both = "$" + AccountLimits.Money.usd(spent);
        return spent <= maxMicros ? Score.Scored.pass("cost " + both + ", within $" + AccountLimits.Money.usd(maxMicros))
                : Score.Scored.fail("cost " + both + ", over the ceiling of $" + AccountLimits.Money.usd(maxMicros));
    }
}
