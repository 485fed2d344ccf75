package dev.mainstay.server.http;

import dev.mainstay.workflow.YamlDocument;
import java.time.Duration;

/**
 * Limits that keep malformed input and hostile callers out of the HTTP API
 * ({@code server.*} in the file; see docs/security.md).
 *
 * @param maxStringLength longest JSON string (or field name) in a request body, in characters
 * @param maxHeaderBytes largest request line and, separately, header block
 * @param readTimeout how long a request head may take to arrive (from its first byte; a new connection's first
 *        request from the accept), and how long a body may pause
 * @param idleTimeout how long a kept-alive connection may wait for its next request after an answer
 * @param authFailures failed authentications one client address may make per window before it is refused
 * @param authFailureWindow the window those failures are counted over
 */
public record Hardening(int maxStringLength, int maxHeaderBytes, Duration readTimeout, Duration idleTimeout, int authFailures, Duration authFailureWindow) {
    public static final int DEFAULT_MAX_STRING_LENGTH = 512 * 1024;
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    public static final int DEFAULT_AUTH_FAILURES = 20;
    public static final Duration DEFAULT_AUTH_FAILURE_WINDOW = Duration.ofMinutes(1);
    public static final Hardening DEFAULT = new Hardening(DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_HEADER_BYTES, DEFAULT_READ_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT, DEFAULT_AUTH_FAILURES, DEFAULT_AUTH_FAILURE_WINDOW);

    /** The hardening keys of the {@code server} section of {@code doc}, defaults where absent. */
    public static Hardening read(YamlDocument doc) {
        int maxString = doc.integer("/server/max_string_length", DEFAULT_MAX_STRING_LENGTH, 1024, 256 * 1024 * 1024);
        int maxHeader = doc.integer("/server/max_header_bytes", DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024);
        Duration read = doc.duration("/server/read_timeout", DEFAULT_READ_TIMEOUT);
        if (read.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/read_timeout", "must be at least 1s");
        }
        Duration idle = doc.duration("/server/idle_timeout", DEFAULT_IDLE_TIMEOUT);
        if (idle.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/idle_timeout", "must be at least 1s");
        }
        int failures = doc.integer("/server/auth_failures/max", DEFAULT_AUTH_FAILURES, 1, 1_000_000);
        Duration window = doc.duration("/server/auth_failures/window", DEFAULT_AUTH_FAILURE_WINDOW);
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/auth_failures/window", "must be at least 1s");
        }
        return new Hardening(maxString, maxHeader, read, idle, failures, window);
    }
}
