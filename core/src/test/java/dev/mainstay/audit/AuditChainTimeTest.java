package dev.mainstay.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.property.SeededRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The audit log's time text is what its hashes cover: it must never change for a given instant. */
class AuditChainTimeTest {
    /** How the text was first written; records already on file were hashed over this spelling. */
    private static final DateTimeFormatter FIRST = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @ParameterizedTest
    @ValueSource(longs = {1L, 0x5eedL, 0x2026_1203L})
    void theTimeTextIsTheFormattersForAnyInstant(long seed) {
        SeededRandom random = new SeededRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            Instant t = switch (random.nextInt(3)) {
                // around now, to the nanosecond
                case 0 -> Instant.ofEpochSecond(random.longBetween(1_700_000_000L, 1_900_000_000L), random.intBetween(0, 999_999_999));
                // the whole four-digit range, leap days and all
                case 1 -> Instant.ofEpochSecond(random.longBetween(-62_167_219_200L, 253_402_300_799L), random.intBetween(0, 999_999_999));
                // beyond four-digit years, where the formatter spells the year its own way
                default -> Instant.ofEpochSecond(random.longBetween(-100_000_000_000L, 400_000_000_000L), random.intBetween(0, 999_999_999));
            };
            assertThat(AuditChain.at(t)).as("seed %d, case %d: %s", seed, i, t).isEqualTo(FIRST.format(t.truncatedTo(ChronoUnit.MILLIS)));
        }
    }
}
