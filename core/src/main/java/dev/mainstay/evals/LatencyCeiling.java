package dev.mainstay.evals;

import java.time.Duration;

/** {@code latency}: the case took at most {@code max} from submission to where it stopped. */
record LatencyCeiling(Duration max) implements Scorer {
    LatencyCeiling {
        if (max == null || max.isNegative() || max.isZero()) {
            throw new IllegalArgumentException("the latency ceiling must be longer than zero");
        }
    }

    @Override
    public String kind() {
        return "latency";
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
        Duration took = e.observed().latency();
        return took.compareTo(max) <= 0 ? Score.Scored.pass("took " + millis(took) + ", within " + millis(max))
                : Score.Scored.fail("took " + millis(took) + ", over the ceiling of " + millis(max));
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
