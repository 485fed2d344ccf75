package dev.mainstay.workflow;

import java.util.Locale;

/**
 * How a submit answers. {@code instant}: 200 with the finished job within the deadline.
 * {@code wait}: 202 unless the client asks {@code Prefer: wait=N} and the job finishes in time.
 * {@code async}: always 202.
 */
public enum Latency {
    INSTANT, WAIT, ASYNC;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
