package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The budget counter and the request bucket under random interleavings of calls. */
class ReservationArithmeticTest {

    /** One call: what it reserves, what it really costs, and whether it settles or its node dies. */
    record Call(long reserve, long actual, boolean settles) {
    }

    /** Calls that cost at most what they reserved; one in four never settles. */
    private static List<Call> honestCalls(SeededRandom random) {
        return random.list(0, 200, r -> {
            long reserve = r.longBetween(0, 5_000);
            int percent = r.intBetween(0, 100);
            return new Call(reserve, reserve * percent / 100, r.pick(true, true, true, false));
        });
    }

    @Property
    void callsThatCostNoMoreThanTheyReservedNeverPassTheBudget(SeededRandom random) {
        List<Call> calls = random.draw("calls", ReservationArithmeticTest::honestCalls);
        long max = random.draw("max", r -> r.longBetween(0, 100_000));
        int inFlight = random.draw("inFlight", r -> r.intBetween(1, 20));
        Counter counter = Counter.ZERO;
        List<Call> running = new ArrayList<>();
        long settled = 0;
        for (Call c : calls) {
            Optional<Counter> held = counter.reserve(c.reserve(), max);
            if (held.isEmpty()) {
                // A refusal changes nothing, and is final only when settled spend alone leaves no room.
                assertThat(counter.couldFitLater(c.reserve(), max)).isEqualTo(counter.spent() + c.reserve() <= max);
            } else {
                counter = held.get();
                running.add(c);
            }
            while (running.size() >= inFlight || (!running.isEmpty() && held.isEmpty())) {
                Call done = running.removeFirst();
                if (done.settles()) {
                    counter = counter.settle(done.reserve(), done.actual());
                    settled += done.actual();
                } else {
                    counter = counter.release(done.reserve()); // the reservation expired
                }
                assertThat(counter.spent()).isLessThanOrEqualTo(max);
                assertThat(counter.used()).isLessThanOrEqualTo(max);
            }
        }
        for (Call done : running) {
            counter = done.settles() ? counter.settle(done.reserve(), done.actual()) : counter.release(done.reserve());
            settled += done.settles() ? done.actual() : 0;
        }
        assertThat(counter.reserved()).as("every hold was given back").isZero();
        assertThat(counter.spent()).as("spend is what settled, once").isEqualTo(settled).isLessThanOrEqualTo(max);
    }

    @Property
    void callsThatCostMoreThanReservedOvershootByTheirExcessAlone(SeededRandom random) {
        int n = random.draw("n", r -> r.intBetween(1, 100));
        long reserve = random.draw("reserve", r -> r.longBetween(1, 1_000));
        long actual = random.draw("actual", r -> r.longBetween(0, 3_000));
        long max = random.draw("max", r -> r.longBetween(0, 50_000));
        Counter counter = Counter.ZERO;
        long excess = 0;
        for (int i = 0; i < n; i++) {
            Optional<Counter> held = counter.reserve(reserve, max);
            if (held.isEmpty()) {
                break;
            }
            counter = held.get().settle(reserve, actual);
            excess += Math.max(0, actual - reserve);
        }
        assertThat(counter.spent()).isLessThanOrEqualTo(max + excess);
        assertThat(counter.reserved()).isZero();
    }

    @Property
    void aBucketNeverGrantsMoreThanOneBucketPlusTheRefillOverAWindow(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 1_000));
        List<Long> gapsMs = random.draw("gapsMs", r -> r.list(0, 300, g -> g.longBetween(0, 5_000)));
        Duration period = Duration.ofMinutes(1);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        Instant start = t;
        TokenBucket.State state = null;
        long granted = 0;
        for (long gap : gapsMs) {
            t = t.plusMillis(gap);
            switch (TokenBucket.take(state, capacity, period, t)) {
                case TokenBucket.Take.Taken taken -> {
                    state = taken.state();
                    granted++;
                }
                case TokenBucket.Take.Wait w -> {
                    assertThat(w.after()).isPositive();
                    // Waiting what it says is always enough for the next take.
                    assertThat(TokenBucket.take(state, capacity, period, t.plus(w.after()))).isInstanceOf(TokenBucket.Take.Taken.class);
                }
            }
        }
        long windowMs = Duration.between(start, t).toMillis();
        assertThat(granted).isLessThanOrEqualTo(capacity + (long) capacity * windowMs / period.toMillis() + 1);
    }
}
