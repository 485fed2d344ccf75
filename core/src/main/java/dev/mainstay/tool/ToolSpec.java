package dev.mainstay.tool;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * An integration tool stages may call, as configured under {@code tools:}.
 *
 * @param headers sent with every call (e.g. an {@code Authorization} read from an environment variable)
 * @param allowPrivate whether the tool may live on a loopback, private or link-local address
 */
public record ToolSpec(String name, URI baseUrl, Duration timeout, int retries, Map<String, String> headers, boolean allowPrivate) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_RETRIES = 2;

    public ToolSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(baseUrl, "baseUrl");
        headers = Map.copyOf(headers);
        if (retries < 0) {
            throw new IllegalArgumentException("retries cannot be negative");
        }
    }

    @Override
    public String toString() {
        return "ToolSpec[" + name + " " + baseUrl + "]"; // never the headers: they may hold credentials
    }
}
