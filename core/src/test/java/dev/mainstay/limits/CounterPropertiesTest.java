package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The budget counter under random interleavings of reservations, settlements and releases,
 * checked step by step against a plain model: the outstanding holds and the settled spend.
 */
class CounterPropertiesTest {

    /** What happens next to the counter. {@code pick} chooses among the calls in flight. */
    sealed interface Step {
        record Reserve(long amount) implements Step {
        }

        /** The call settles; it cost {@code percent} percent of what it held. */
        record Settle(int pick, int percent) implements Step {
        }

        /** The call never reported back and its hold was given up (expiry). */
        record Release(int pick) implements Step {
        }
    }

    /** Reserves five times in nine, settles three times, releases once. */
    private static Step step(SeededRandom random, int maxPercent) {
        int kind = random.nextInt(9);
        if (kind < 5) {
            return new Step.Reserve(random.longBetween(0, 4_000));
        }
        if (kind < 8) {
            return new Step.Settle(random.intBetween(0, 1_000), random.intBetween(0, maxPercent));
        }
        return new Step.Release(random.intBetween(0, 1_000));
    }

    private static List<Step> steps(SeededRandom random, int maxPercent) {
        return random.list(0, 300, r -> step(r, maxPercent));
    }

    @Property
    void honestCallsNeverPassTheBudgetAndGiveEveryHoldBack(SeededRandom random) {
        List<Step> steps = random.draw("steps", r -> steps(r, 100));
        long max = random.draw("max", r -> r.longBetween(0, 20_000));
        Counter counter = Counter.ZERO;
        List<Long> inFlight = new ArrayList<>();
        long settled = 0;
        for (Step step : steps) {
            switch (step) {
                case Step.Reserve r -> {
                    Counter before = counter;
                    Optional<Counter> after = counter.reserve(r.amount(), max);
                    assertThat(after.isPresent()).as("granted exactly while it fits").isEqualTo(counter.used() + r.amount() <= max);
                    if (after.isPresent()) {
                        counter = after.get();
                        inFlight.add(r.amount());
                    } else {
                        assertThat(counter).as("a refusal changes nothing").isEqualTo(before);
                        assertThat(counter.couldFitLater(r.amount(), max)).as("final exactly when settled spend leaves no room")
                                .isEqualTo(counter.spent() + r.amount() <= max);
                    }
                }
                case Step.Settle s -> {
                    if (inFlight.isEmpty()) {
                        continue;
                    }
                    long held = inFlight.remove(s.pick() % inFlight.size());
                    long actual = held * s.percent() / 100;
                    counter = counter.settle(held, actual);
                    settled += actual;
                }
                case Step.Release r -> {
                    if (inFlight.isEmpty()) {
                        continue;
                    }
                    counter = counter.release(inFlight.remove(r.pick() % inFlight.size()));
                }
            }
            assertThat(counter.spent()).isEqualTo(settled).isLessThanOrEqualTo(max).isNotNegative();
            assertThat(counter.reserved()).isEqualTo(sum(inFlight)).isNotNegative();
            assertThat(counter.used()).isLessThanOrEqualTo(max);
        }
        while (!inFlight.isEmpty()) {
            long held = inFlight.removeLast();
            counter = counter.settle(held, held / 2);
            settled += held / 2;
        }
        assertThat(counter.reserved()).as("every hold was given back").isZero();
        assertThat(counter.spent()).as("spend is what settled, once").isEqualTo(settled).isLessThanOrEqualTo(max);
    }

    @Property
    void callsThatCostMoreThanTheyHeldOvershootByTheirExcessAlone(SeededRandom random) {
        List<Step> steps = random.draw("steps", r -> steps(r, 300));
        long max = random.draw("max", r -> r.longBetween(0, 20_000));
        Counter counter = Counter.ZERO;
        List<Long> inFlight = new ArrayList<>();
        long excess = 0;
        for (Step step : steps) {
            switch (step) {
                case Step.Reserve r -> {
                    Optional<Counter> after = counter.reserve(r.amount(), max);
                    if (after.isPresent()) {
                        counter = after.get();
                        inFlight.add(r.amount());
                    }
                }
                case Step.Settle s -> {
                    if (!inFlight.isEmpty()) {
                        long held = inFlight.remove(s.pick() % inFlight.size());
                        long actual = held * s.percent() / 100;
                        counter = counter.settle(held, actual);
                        excess += Math.max(0, actual - held);
                    }
                }
                case Step.Release r -> {
                    if (!inFlight.isEmpty()) {
                        counter = counter.release(inFlight.remove(r.pick() % inFlight.size()));
                    }
                }
            }
            assertThat(counter.spent()).isLessThanOrEqualTo(max + excess).isNotNegative();
            assertThat(counter.reserved()).isEqualTo(sum(inFlight)).isNotNegative();
            for (long probe : new long[] {0, 1, max / 2, max}) {
                assertThat(counter.couldFitLater(probe, max)).isEqualTo(counter.spent() + probe <= max);
            }
        }
    }

    @Property
    void aRefusalIsFinalExactlyWhenSettledSpendAloneLeavesNoRoom(SeededRandom random) {
        long spent = random.draw("spent", r -> r.longBetween(0, Long.MAX_VALUE));
        long reserved = random.draw("reserved", r -> r.longBetween(0, Long.MAX_VALUE));
        long amount = random.draw("amount", r -> r.longBetween(0, Long.MAX_VALUE));
        long max = random.draw("max", r -> r.longBetween(0, Long.MAX_VALUE));
        Counter counter = new Counter(spent, reserved);
        BigInteger s = BigInteger.valueOf(spent);
        BigInteger r = BigInteger.valueOf(reserved);
        BigInteger a = BigInteger.valueOf(amount);
        BigInteger m = BigInteger.valueOf(max);
        assertThat(counter.couldFitLater(amount, max)).isEqualTo(s.add(a).compareTo(m) <= 0);
        Optional<Counter> after = counter.reserve(amount, max);
        // Exact even where spent + reserved + amount would overflow a long.
        assertThat(after.isPresent()).isEqualTo(s.add(r).add(a).compareTo(m) <= 0);
        after.ifPresent(c -> assertThat(c).isEqualTo(new Counter(spent, reserved + amount)));
        if (after.isPresent()) {
            assertThat(counter.couldFitLater(amount, max)).as("what fits now could fit later").isTrue();
        }
    }

    @Property
    void refusedReserveLeavesTheCounterAsItWas(SeededRandom random) {
        long spent = random.draw("spent", r -> r.longBetween(0, 1_000));
        long reserved = random.draw("reserved", r -> r.longBetween(0, 1_000));
        long amount = random.draw("amount", r -> r.longBetween(0, 3_000));
        long max = random.draw("max", r -> r.longBetween(0, 2_000));
        Counter counter = new Counter(spent, reserved);
        Optional<Counter> after = counter.reserve(amount, max);
        if (after.isEmpty()) {
            assertThat(counter).isEqualTo(new Counter(spent, reserved));
            assertThat(counter.reserve(amount, max)).as("asking again gives the same answer").isEmpty();
        }
    }

    private static long sum(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).sum();
    }

    // ---- examples --------------------------------------------------------------------------------

    @Test
    void reservesUpToTheMaxInclusiveAndNotOneMicroMore() {
        Counter c = Counter.ZERO.reserve(60, 100).orElseThrow().reserve(40, 100).orElseThrow();
        assertThat(c).isEqualTo(new Counter(0, 100));
        assertThat(c.reserve(1, 100)).isEmpty();
        assertThat(c.reserve(0, 100)).as("nothing always fits a full budget").contains(c);
    }

    @Test
    void aRefusalBehindOtherCallsHoldsIsNotFinal() {
        Counter held = new Counter(0, 90);
        assertThat(held.reserve(20, 100)).isEmpty();
        assertThat(held.couldFitLater(20, 100)).as("the 90 held may settle for less").isTrue();
        Counter spent = new Counter(90, 0);
        assertThat(spent.reserve(20, 100)).isEmpty();
        assertThat(spent.couldFitLater(20, 100)).as("90 are spent for good").isFalse();
        assertThat(spent.couldFitLater(10, 100)).isTrue();
    }

    @Test
    void settlingForLessThanHeldFreesTheDifference() {
        Counter c = Counter.ZERO.reserve(100, 100).orElseThrow().settle(100, 30);
        assertThat(c).isEqualTo(new Counter(30, 0));
        assertThat(c.used()).isEqualTo(30);
        assertThat(c.reserve(70, 100)).contains(new Counter(30, 70));
    }

    @Test
    void settlingForMoreThanHeldOvershootsByTheExcessAndThenRefusesEverything() {
        Counter c = Counter.ZERO.reserve(100, 100).orElseThrow().settle(100, 130);
        assertThat(c).isEqualTo(new Counter(130, 0));
        assertThat(c.reserve(0, 100)).as("a budget already passed grants nothing").isEmpty();
        assertThat(c.couldFitLater(0, 100)).isFalse();
    }

    @Test
    void releasingGivesTheHoldBackWithoutSpending() {
        Counter c = new Counter(10, 50).release(50);
        assertThat(c).isEqualTo(new Counter(10, 0));
        assertThat(new Counter(10, 20).release(50)).as("a hold released twice cannot go below zero").isEqualTo(new Counter(10, 0));
    }

    @Test
    void aSettlementWithoutAReservationOnlyAddsSpend() {
        assertThat(new Counter(5, 40).settle(0, 7)).isEqualTo(new Counter(12, 40));
    }

    @Test
    void negativesAreRefused() {
        assertThatThrownBy(() -> new Counter(-1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spent -1");
        assertThatThrownBy(() -> new Counter(0, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved -1");
        assertThatThrownBy(() -> Counter.ZERO.reserve(-1, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Counter.ZERO.settle(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Counter.ZERO.settle(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void releaseRefusesANegativeHoldAsSettleDoes() {
        assertThatThrownBy(() -> new Counter(0, 10).release(-5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hugeAmountsDoNotOverflowIntoAGrant() {
        Counter c = new Counter(Long.MAX_VALUE - 10, 5);
        assertThat(c.reserve(Long.MAX_VALUE, Long.MAX_VALUE)).isEmpty();
        assertThat(c.reserve(5, Long.MAX_VALUE)).contains(new Counter(Long.MAX_VALUE - 10, 10));
        assertThat(c.couldFitLater(Long.MAX_VALUE, Long.MAX_VALUE)).isFalse();
        assertThat(new Counter(Long.MAX_VALUE, 0).reserve(1, 10)).isEmpty();
    }
}
