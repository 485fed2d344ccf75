package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The budget counter and the request bucket under random interleavings of calls. */
class ReservationArithmeticTest {

    /** One call: what it reserves, what it really costs, and whether it settles or its node dies. */
    record Call(long reserve, long actual, boolean settles) {
    }

    @Provide
    Arbitrary<List<Call>> honestCalls() {
        Arbitrary<Call> call = Combinators.combine(Arbitraries.longs().between(0, 5_000), Arbitraries.integers().between(0, 100), Arbitraries.of(true, true, true, false))
                .as((reserve, percent, settles) -> new Call(reserve, reserve * percent / 100, settles));
        return call.list().ofMaxSize(200);
    }

    @Property
    void callsThatCostNoMoreThanTheyReservedNeverPassTheBudget(@ForAll("honestCalls") List<Call> calls, @ForAll @LongRange(min = 0, max = 100_000) long max,
                                                               @ForAll @IntRange(min = 1, max = 20) int inFlight) {
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
    void callsThatCostMoreThanReservedOvershootByTheirExcessAlone(@ForAll @IntRange(min = 1, max = 100) int n, @ForAll @LongRange(min = 1, max = 1_000) long reserve,
                                                                   @ForAll @LongRange(min = 0, max = 3_000) long actual, @ForAll @LongRange(min = 0, max = 50_000) long max) {
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
    void aBucketNeverGrantsMoreThanOneBucketPlusTheRefillOverAWindow(@ForAll @IntRange(min = 1, max = 1_000) int capacity,
                                                                      @ForAll("gaps") List<Long> gapsMs) {
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

    @Provide
    Arbitrary<List<Long>> gaps() {
        return Arbitraries.longs().between(0, 5_000).list().ofMaxSize(300);
    }
}
