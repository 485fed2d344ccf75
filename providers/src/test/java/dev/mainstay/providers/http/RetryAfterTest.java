package dev.mainstay.providers.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one reading of a provider's requested wait, which every wire format uses. */
class RetryAfterTest {
    private static final Instant NOW = Instant.parse("2026-11-22T21:00:00Z");

    private static HttpHeaders headers(String... pairs) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], List.of(pairs[i + 1]));
        }
        return HttpHeaders.of(map, (k, v) -> true);
    }

    private static String date(Instant at) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atZone(ZoneOffset.UTC));
    }

    @Test
    void millisecondsComeFirstThenSecondsThenADate() {
        assertThat(RetryAfter.of(headers("retry-after-ms", "250", "retry-after", "2"), NOW)).contains(Duration.ofMillis(250));
        assertThat(RetryAfter.of(headers("retry-after", "2"), NOW)).contains(Duration.ofSeconds(2));
        assertThat(RetryAfter.of(headers("retry-after", date(NOW.plusSeconds(90))), NOW)).contains(Duration.ofSeconds(90));
        assertThat(RetryAfter.of(headers(), NOW)).isEmpty();
    }

    @Test
    void aFractionOfASecondIsRoundedUpNeverDown() {
        assertThat(RetryAfter.of(headers("retry-after", "1.5"), NOW)).contains(Duration.ofMillis(1500));
        assertThat(RetryAfter.of(headers("retry-after", "0.0001"), NOW)).contains(Duration.ofMillis(1));
        assertThat(RetryAfter.of(headers("retry-after-ms", "12.2"), NOW)).contains(Duration.ofMillis(13));
        assertThat(RetryAfter.of(headers("retry-after", " 0 "), NOW)).contains(Duration.ZERO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "NaN", "Infinity", "-Infinity", "soon", "", "2 seconds"})
    void aValueThatIsNoWaitIsNoAnswerAndTheNextHeaderIsRead(String value) {
        assertThat(RetryAfter.of(headers("retry-after", value), NOW)).isEmpty();
        assertThat(RetryAfter.of(headers("retry-after-ms", value, "retry-after", "3"), NOW)).contains(Duration.ofSeconds(3));
    }

    @Test
    void aDateIsMeasuredFromTheGivenNowNotFromTheMachinesClock() {
        assertThat(RetryAfter.of(headers("retry-after", date(NOW.plusSeconds(60))), NOW)).contains(Duration.ofSeconds(60));
        assertThat(RetryAfter.of(headers("retry-after", date(NOW.plusSeconds(60))), NOW.plusSeconds(45))).contains(Duration.ofSeconds(15));
        assertThat(RetryAfter.of(headers("retry-after", date(NOW.minusSeconds(60))), NOW)).as("a date passed means now").contains(Duration.ZERO);
    }

    @Test
    void aWildWaitIsHeldToADaySoNoInstantComputedFromItOverflows() {
        assertThat(RetryAfter.of(headers("retry-after", "1e300"), NOW)).contains(RetryAfter.MAX);
        assertThat(RetryAfter.of(headers("retry-after-ms", "9223372036854775807"), NOW)).contains(RetryAfter.MAX);
        assertThat(RetryAfter.of(headers("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"), NOW)).contains(RetryAfter.MAX);
        assertThat(NOW.plus(RetryAfter.of(headers("retry-after", "1e300"), NOW).orElseThrow())).isEqualTo(NOW.plus(Duration.ofDays(1)));
    }
}
