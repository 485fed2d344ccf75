package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The request bucket's arithmetic at instants the test chooses: bursts, waits, the most it can
 * grant over a window, and large numbers. No test here reads a clock.
 */
class TokenBucketTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration MINUTE = Duration.ofMinutes(1);

    /** Takes until refused at {@code at}; returns how many were granted and the last state. */
    private record Burst(long granted, TokenBucket.State state, Duration retryAfter) {
    }

    private static Burst drain(TokenBucket.State state, long capacity, Duration period, Instant at) {
        long granted = 0;
        while (true) {
            switch (TokenBucket.take(state, capacity, period, at)) {
                case TokenBucket.Take.Taken t -> {
                    state = t.state();
                    granted++;
                }
                case TokenBucket.Take.Wait w -> {
                    return new Burst(granted, state, w.after());
                }
            }
        }
    }

    private static TokenBucket.State taken(TokenBucket.Take take) {
        assertThat(take).isInstanceOf(TokenBucket.Take.Taken.class);
        return ((TokenBucket.Take.Taken) take).state();
    }

    // ---- examples --------------------------------------------------------------------------------

    @Test
    void aNewBucketIsFullAndGrantsItsCapacityAtOnce() {
        Burst burst = drain(null, 600, MINUTE, T0);
        assertThat(burst.granted()).isEqualTo(600);
        // 600 per minute refill one every 100 ms.
        assertThat(burst.retryAfter()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void anEmptyBucketRefillsOneTokenPerPeriodOverCapacity() {
        Burst burst = drain(null, 3, MINUTE, T0);
        assertThat(burst.granted()).isEqualTo(3);
        assertThat(burst.retryAfter()).isEqualTo(Duration.ofSeconds(20));
        assertThat(TokenBucket.take(burst.state(), 3, MINUTE, T0.plusSeconds(19).plusMillis(999))).isInstanceOf(TokenBucket.Take.Wait.class);
        TokenBucket.State next = taken(TokenBucket.take(burst.state(), 3, MINUTE, T0.plusSeconds(20)));
        assertThat(next).isEqualTo(new TokenBucket.State(0, T0.plusSeconds(20)));
    }

    @Test
    void theWaitShrinksAsTheBucketRefills() {
        Burst burst = drain(null, 3, MINUTE, T0);
        assertThat(TokenBucket.take(burst.state(), 3, MINUTE, T0.plusSeconds(5)))
                .isEqualTo(new TokenBucket.Take.Wait(Duration.ofSeconds(15)));
    }

    @Test
    void anIdleBucketRefillsNoFurtherThanFull() {
        Burst burst = drain(null, 5, MINUTE, T0);
        Burst later = drain(burst.state(), 5, MINUTE, T0.plus(Duration.ofDays(3)));
        assertThat(later.granted()).isEqualTo(5);
    }

    @Test
    void partOfATokenIsKeptBetweenTakes() {
        // 1 per minute: after 30 s half a token is there, after 60 s one.
        TokenBucket.State empty = taken(TokenBucket.take(null, 1, MINUTE, T0));
        assertThat(TokenBucket.level(empty, 1, MINUTE, T0.plusSeconds(30)).microTokens()).isEqualTo(TokenBucket.UNIT / 2);
        assertThat(TokenBucket.take(empty, 1, MINUTE, T0.plusSeconds(30))).isInstanceOf(TokenBucket.Take.Wait.class);
        taken(TokenBucket.take(empty, 1, MINUTE, T0.plusSeconds(60)));
    }

    @Test
    void aHugeCapacityBucketAfterAYearIdleIsFullAndExact() {
        long capacity = TokenBucket.MAX_CAPACITY; // a billion a minute
        TokenBucket.State state = taken(TokenBucket.take(null, capacity, MINUTE, T0));
        TokenBucket.State later = TokenBucket.level(state, capacity, MINUTE, T0.plus(Duration.ofDays(365)));
        assertThat(later.microTokens()).isEqualTo(capacity * TokenBucket.UNIT);
        TokenBucket.State halfway = TokenBucket.level(state, capacity, MINUTE, T0.plusSeconds(30));
        assertThat(halfway.microTokens()).isEqualTo(capacity * TokenBucket.UNIT);
        TokenBucket.State soon = TokenBucket.level(new TokenBucket.State(0, T0), capacity, MINUTE, T0.plusMillis(59_999));
        // 59,999 ms of 60,000: exact where elapsed * full passes a long.
        assertThat(soon.microTokens()).isEqualTo(BigInteger.valueOf(capacity * TokenBucket.UNIT).multiply(BigInteger.valueOf(59_999))
                .divide(BigInteger.valueOf(60_000)).longValueExact());
    }

    // ---- properties ------------------------------------------------------------------------------

    private static Duration period(SeededRandom random) {
        // From a second to a day: requests per minute in production, and slower and faster buckets.
        return Duration.ofMillis(random.longBetween(1_000, 86_400_000));
    }

    @Property
    void aFullBucketGrantsExactlyItsCapacityAtOneInstantThenAsksToWait(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 2_000));
        Duration period = random.draw("period", TokenBucketTest::period);
        Burst burst = drain(null, capacity, period, T0);
        assertThat(burst.granted()).isEqualTo(capacity);
        assertThat(burst.retryAfter()).isPositive();
    }

    @Property
    void waitingTheAnsweredWaitIsEnoughForOneMoreTake(SeededRandom random) {
        int perMinute = random.draw("perMinute", r -> r.intBetween(1, 20_000));
        long afterMs = random.draw("afterMs", r -> r.longBetween(0, 120_000));
        // The shape every request bucket has: requests_per_minute per one minute.
        TokenBucket.State empty = drain(null, perMinute, MINUTE, T0).state();
        Instant at = T0.plusMillis(afterMs);
        if (TokenBucket.take(empty, perMinute, MINUTE, at) instanceof TokenBucket.Take.Wait w) {
            assertThat(w.after()).isPositive();
            assertThat(TokenBucket.take(empty, perMinute, MINUTE, at.plus(w.after()))).isInstanceOf(TokenBucket.Take.Taken.class);
        }
    }

    @Property
    void waitingTheAnsweredWaitIsEnoughForSlowBucketsToo(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 2_000));
        Duration period = random.draw("period", TokenBucketTest::period);
        long afterMs = random.draw("afterMs", r -> r.longBetween(0, 200_000));
        TokenBucket.State empty = drain(null, capacity, period, T0).state();
        Instant at = T0.plusMillis(afterMs);
        if (TokenBucket.take(empty, capacity, period, at) instanceof TokenBucket.Take.Wait w) {
            assertThat(w.after()).isPositive();
            assertThat(TokenBucket.take(empty, capacity, period, at.plus(w.after()))).isInstanceOf(TokenBucket.Take.Taken.class);
        }
    }

    @Property
    void theAnsweredWaitIsTheShortestWholeMillisecondThatWorks(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 2_000));
        Duration period = random.draw("period", TokenBucketTest::period);
        long afterMs = random.draw("afterMs", r -> r.longBetween(0, 200_000));
        TokenBucket.State empty = drain(null, capacity, period, T0).state();
        Instant at = T0.plusMillis(afterMs);
        if (TokenBucket.take(empty, capacity, period, at) instanceof TokenBucket.Take.Wait w) {
            assertThat(TokenBucket.take(empty, capacity, period, at.plus(w.after()))).isInstanceOf(TokenBucket.Take.Taken.class);
            if (w.after().toMillis() > 1) {
                assertThat(TokenBucket.take(empty, capacity, period, at.plus(w.after()).minusMillis(1))).isInstanceOf(TokenBucket.Take.Wait.class);
            }
        }
    }

    @Test
    void halfATokenMissingAtOnePerMinuteIsAboutThirtySecondsAway() {
        TokenBucket.State empty = taken(TokenBucket.take(null, 1, MINUTE, T0));
        // Exactly 30 s would be right; the rate is rounded down, so the answer errs long, never short.
        assertThat(TokenBucket.take(empty, 1, MINUTE, T0.plusSeconds(30))).isInstanceOfSatisfying(TokenBucket.Take.Wait.class,
                w -> assertThat(w.after()).isBetween(Duration.ofSeconds(30), Duration.ofMillis(31_250)));
    }

    private static List<Long> anyOffsets(SeededRandom random) {
        return random.list(0, 400, r -> r.longBetween(0, 600_000));
    }

    /** Takes attempted at these offsets from {@link #T0}, in this order; returns the grants. */
    private static long attempt(List<Long> offsetsMs, long capacity, Duration period) {
        TokenBucket.State state = null;
        long granted = 0;
        for (long offset : offsetsMs) {
            Instant at = T0.plusMillis(offset);
            switch (TokenBucket.take(state, capacity, period, at)) {
                case TokenBucket.Take.Taken t -> {
                    state = t.state();
                    granted++;
                    assertThat(TokenBucket.level(state, capacity, period, at).microTokens()).isBetween(0L, capacity * TokenBucket.UNIT);
                }
                case TokenBucket.Take.Wait w -> assertThat(w.after()).isPositive();
            }
        }
        return granted;
    }

    /** One full bucket plus what refills over the window {@code [first, last]}, exactly. */
    private static void assertWithinOneBucketPlusRefill(long granted, List<Long> offsetsMs, long capacity, Duration period) {
        if (offsetsMs.isEmpty()) {
            assertThat(granted).isZero();
            return;
        }
        long window = offsetsMs.stream().mapToLong(Long::longValue).max().orElseThrow() - offsetsMs.stream().mapToLong(Long::longValue).min().orElseThrow();
        // granted <= capacity + capacity * window / period, compared without division.
        BigInteger lhs = BigInteger.valueOf(granted).multiply(BigInteger.valueOf(period.toMillis()));
        BigInteger rhs = BigInteger.valueOf(capacity).multiply(BigInteger.valueOf(period.toMillis() + window));
        assertThat(lhs).as("%d granted over %d ms with capacity %d per %s", granted, window, capacity, period).isLessThanOrEqualTo(rhs);
    }

    @Property
    void overAnyWindowGrantsAreAtMostOneBucketPlusTheRefill(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 200));
        Duration period = random.draw("period", TokenBucketTest::period);
        List<Long> offsetsMs = random.draw("offsetsMs", r -> anyOffsets(r).stream().sorted().toList());
        long granted = attempt(offsetsMs, capacity, period);
        assertWithinOneBucketPlusRefill(granted, offsetsMs, capacity, period);
    }

    @Property
    void overAnyWindowGrantsStayBoundedWhenTakesArriveOutOfOrder(SeededRandom random) {
        int capacity = random.draw("capacity", r -> r.intBetween(1, 200));
        Duration period = random.draw("period", TokenBucketTest::period);
        List<Long> offsetsMs = random.draw("offsetsMs", TokenBucketTest::anyOffsets);
        // Nodes whose clocks disagree a little submit against one bucket: a take may carry an
        // instant before the bucket's last update. That must not refill the same time twice.
        long granted = attempt(offsetsMs, capacity, period);
        assertWithinOneBucketPlusRefill(granted, offsetsMs, capacity, period);
    }

    @Property
    void aSteadyCallerAtTheRefillRateIsNeverRefusedAfterTheBurst(SeededRandom random) {
        int perMinute = random.draw("perMinute", r -> r.intBetween(1, 600));
        Burst burst = drain(null, perMinute, MINUTE, T0);
        TokenBucket.State state = burst.state();
        long everyMs = Math.ceilDiv(60_000, perMinute);
        for (int i = 1; i <= 3 * perMinute; i++) {
            state = taken(TokenBucket.take(state, perMinute, MINUTE, T0.plusMillis(everyMs * i)));
        }
    }

    @Property
    void largeCapacitiesAndLongIdleGapsNeitherOverflowNorRefuse(SeededRandom random) {
        long capacity = random.draw("capacity", r -> r.longBetween(1, TokenBucket.MAX_CAPACITY));
        long idleMs = random.draw("idleMs", r -> r.longBetween(0, 100L * 365 * 86_400_000));
        Duration period = random.draw("period", TokenBucketTest::period);
        TokenBucket.State state = taken(TokenBucket.take(null, capacity, period, T0));
        Instant later = T0.plusMillis(idleMs);
        TokenBucket.State level = TokenBucket.level(state, capacity, period, later);
        assertThat(level.microTokens()).isBetween(state.microTokens(), capacity * TokenBucket.UNIT);
        if (idleMs >= period.toMillis()) {
            assertThat(level.microTokens()).isEqualTo(capacity * TokenBucket.UNIT);
        }
        if (capacity > 1 || idleMs >= period.toMillis()) {
            taken(TokenBucket.take(state, capacity, period, later));
        }
    }

    @Test
    void everyRequestsPerMinuteAnAccountMayBeGivenWorksAndLargerOnesAreRefused() {
        for (long requestsPerMinute : new long[] {1, 60, TokenBucket.MAX_CAPACITY}) {
            AccountLimits limits = AccountLimits.fromJson(Json.object().put("requests_per_minute", requestsPerMinute));
            TokenBucket.State state = taken(TokenBucket.take(null, limits.requestsPerMinute(), MINUTE, T0));
            taken(TokenBucket.take(state, limits.requestsPerMinute(), MINUTE, T0.plus(Duration.ofDays(36_500))));
        }
        for (long tooMany : new long[] {TokenBucket.MAX_CAPACITY + 1, 9_300_000_000_000L, Long.MAX_VALUE}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> AccountLimits.fromJson(Json.object().put("requests_per_minute", tooMany)))
                    .isInstanceOf(dev.mainstay.contract.InvalidInputException.class);
        }
    }

    @Test
    void takesAtInstantsOutOfOrderNeverRefillTheSameTimeTwice() {
        // Capacity 1 per minute. A take at 10:01:00 empties the bucket; one stamped 10:00:30 (a node
        // whose clock is behind) finds it empty and must be refused; the next token is due 10:02:00.
        TokenBucket.State first = taken(TokenBucket.take(null, 1, MINUTE, T0));
        TokenBucket.State second = taken(TokenBucket.take(first, 1, MINUTE, T0.plusSeconds(60)));
        List<TokenBucket.Take> outOfOrder = new ArrayList<>();
        outOfOrder.add(TokenBucket.take(second, 1, MINUTE, T0.plusSeconds(30)));
        assertThat(outOfOrder.getFirst()).isInstanceOf(TokenBucket.Take.Wait.class);
        // A bucket refilled to one token at 10:01:00 and taken at a stamp of 10:00:30 must not move
        // its clock back: at 10:01:30 only half a token may be there.
        TokenBucket.State refilled = new TokenBucket.State(TokenBucket.UNIT, T0.plusSeconds(60));
        TokenBucket.State takenEarly = taken(TokenBucket.take(refilled, 1, MINUTE, T0.plusSeconds(30)));
        assertThat(TokenBucket.take(takenEarly, 1, MINUTE, T0.plusSeconds(90))).isInstanceOf(TokenBucket.Take.Wait.class);
    }
}
