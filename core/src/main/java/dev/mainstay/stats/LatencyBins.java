package dev.mainstay.stats;

/**
 * The fixed log-scale bins latencies are counted in once folded: exact below 16 ms, then eight
 * bins per doubling, so a bin's highest value is at most 12.5% above its lowest. The bins never
 * change (stored counts name them by number), so they are constants, not configuration.
 */
public final class LatencyBins {
    /** The bin of a duration that was not recorded (a stage without a start or an end). */
    public static final int NONE = -1;

    private LatencyBins() {
    }

    /** The bin {@code millis} falls in; {@link #NONE} for a negative value. */
    public static int bin(long millis) {
        if (millis < 0) {
            return NONE;
        }
        if (millis < 16) {
            return (int) millis;
        }
        int e = 63 - Long.numberOfLeadingZeros(millis);
        int sub = (int) ((millis >>> (e - 3)) & 7);
        return 16 + (e - 4) * 8 + sub;
    }

    /** The highest value of {@code bin}: what a percentile falling in it is reported as. */
    public static long high(int bin) {
        if (bin < 16) {
            return Math.max(0, bin);
        }
        int e = (bin - 16) / 8 + 4;
        int sub = (bin - 16) % 8;
        return ((9L + sub) << (e - 3)) - 1;
    }
}
