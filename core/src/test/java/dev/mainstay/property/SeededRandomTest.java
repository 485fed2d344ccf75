package dev.mainstay.property;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SeededRandomTest {
    private static final int TRIES = 7;
    private static final AtomicInteger INVOCATIONS = new AtomicInteger();
    private static final Set<Long> SEEDS = java.util.Collections.synchronizedSet(new HashSet<>());

    private static List<Object> someCase(SeededRandom r) {
        return List.of(r.longBetween(Long.MIN_VALUE, Long.MAX_VALUE), r.intBetween(-3, 3), r.string(0, 20, SeededRandom.LOWERCASE),
                r.anyString(0, 20), r.list(0, 10, x -> x.pick("a", "b", "c")), r.distinct(List.of(1, 2, 3, 4), 0, 4), r.nextDouble());
    }

    @Test
    void theSameSeedDrawsTheSameCase() {
        for (long seed : new long[] {0, 1, -1, 0x5eed_5eed_5eed_5eedL, Long.MIN_VALUE}) {
            assertThat(someCase(new SeededRandom(seed))).isEqualTo(someCase(new SeededRandom(seed)));
        }
        assertThat(someCase(new SeededRandom(1))).isNotEqualTo(someCase(new SeededRandom(2)));
    }

    @Test
    void rangesHoldTheirBoundsAndReachBothEnds() {
        SeededRandom random = new SeededRandom(42);
        long[][] ranges = {{0, 20_000}, {7, 7}, {-5, 5}, {0, Long.MAX_VALUE}, {Long.MIN_VALUE, Long.MAX_VALUE}, {-1, Long.MAX_VALUE}, {Long.MIN_VALUE, 0}};
        for (long[] range : ranges) {
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 2_000; i++) {
                long v = random.longBetween(range[0], range[1]);
                assertThat(v).as("draw in [%d, %d]", range[0], range[1]).isBetween(range[0], range[1]);
                seen.add(v);
            }
            assertThat(seen).as("ends of [%d, %d]", range[0], range[1]).contains(range[0], range[1]);
        }
        assertThatThrownBy(() -> random.longBetween(3, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("min 3 is above max 2");
    }

    @Test
    void smallValuesComeUpInAWideRange() {
        SeededRandom random = new SeededRandom(7);
        long small = 0;
        for (int i = 0; i < 1_000; i++) {
            if (random.longBetween(0, Long.MAX_VALUE) < 1_000) {
                small++;
            }
        }
        // Uniform draws would give none in a thousand; a third of the log-uniform ones land here.
        assertThat(small).isGreaterThan(50);
    }

    @Test
    void distinctNeverRepeatsAndKeepsToItsSizes() {
        SeededRandom random = new SeededRandom(3);
        for (int i = 0; i < 500; i++) {
            List<Integer> picked = random.distinct(List.of(1, 2, 3, 4, 5), 1, 3);
            assertThat(picked).doesNotHaveDuplicates().hasSizeBetween(1, 3).isSubsetOf(1, 2, 3, 4, 5);
        }
    }

    @Test
    void aSeedReadsBackAsItIsPrinted() {
        for (long seed : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123_4567_89ab_cdefL}) {
            assertThat(SeededRandom.format(seed)).hasSize(16);
            assertThat(SeededRandom.parse(SeededRandom.format(seed))).isEqualTo(seed);
            assertThat(SeededRandom.parse(" 0x" + SeededRandom.format(seed) + " ")).isEqualTo(seed);
        }
        assertThatThrownBy(() -> SeededRandom.parse("not-a-seed")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mainstay.seed 'not-a-seed' is not a seed");
    }

    @Test
    void aFailureNamesTheSeedTheDrawnCaseAndHowToRunItAgain() throws NoSuchMethodException {
        SeededRandom random = new SeededRandom(0xabcL);
        random.draw("max", r -> 1234L);
        random.draw("steps", r -> List.of("reserve 5", "settle"));
        String message = SeedReport.message(SeededRandomTest.class.getDeclaredMethod("everyCaseHasASeedOfItsOwn", SeededRandom.class),
                random, new AssertionError("expected 3 but was 4"));
        assertThat(message).isEqualTo("""
                SeededRandomTest#everyCaseHasASeedOfItsOwn failed on seed 0000000000000abc
                  max = 1234
                  steps = [reserve 5, settle]
                run this case again with -Dtest=SeededRandomTest#everyCaseHasASeedOfItsOwn -Dmainstay.seed=0000000000000abc
                java.lang.AssertionError: expected 3 but was 4""");
    }

    @Property(tries = TRIES)
    void everyCaseHasASeedOfItsOwn(SeededRandom random) {
        INVOCATIONS.incrementAndGet();
        assertThat(SEEDS.add(random.seed())).as("%s came up twice", random).isTrue();
    }

    @AfterAll
    static void thePropertyRanItsTriesOrTheOneSeedAskedFor() {
        String again = System.getProperty(Seeds.SEED_PARAMETER, "");
        if (again.isBlank()) {
            assertThat(INVOCATIONS).hasValue(TRIES);
        } else {
            assertThat(SEEDS).containsExactly(SeededRandom.parse(again));
        }
    }
}
