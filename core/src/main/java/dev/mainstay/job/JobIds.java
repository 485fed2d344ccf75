package dev.mainstay.job;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Job ids that sort by creation time: {@code job_} + 10 Crockford base32 digits of milliseconds +
 * 16 random digits, monotonic within one process. Listing by id is listing by age, which makes
 * cursor pagination a plain {@code id > cursor}.
 */
public final class JobIds {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long lastRandomHigh;
    private long lastRandomLow;

    public JobIds(Clock clock) {
        this.clock = clock;
    }

    public synchronized String next(String prefix) {
        long millis = clock.millis();
        if (millis <= lastMillis) {
            millis = lastMillis;
            lastRandomLow++;
            if (lastRandomLow >= (1L << 40)) {
                lastRandomLow = 0;
                lastRandomHigh++;
            }
        } else {
            lastMillis = millis;
            lastRandomHigh = random.nextLong() & ((1L << 39) - 1); // leave room to count up
            lastRandomLow = random.nextLong() & ((1L << 39) - 1);
        }
        StringBuilder out = new StringBuilder(prefix).append('_');
        append(out, millis, 10);
        append(out, lastRandomHigh, 8);
        append(out, lastRandomLow, 8);
        return out.toString();
    }

    /**
     * The shortest id that sorts before every id {@code prefix} made at or after {@code millis}
     * (and after every one made before it): a bound for reading ids by creation time.
     */
    public static String floor(String prefix, long millis) {
        StringBuilder out = new StringBuilder(prefix).append('_');
        append(out, Math.max(0, millis), 10);
        return out.toString();
    }

    private static void append(StringBuilder out, long value, int digits) {
        char[] buf = new char[digits];
        for (int i = digits - 1; i >= 0; i--) {
            buf[i] = ALPHABET[(int) (value & 31)];
            value >>>= 5;
        }
        out.append(buf);
    }
}
