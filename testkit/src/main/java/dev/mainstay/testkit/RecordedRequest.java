package dev.mainstay.testkit;

import java.time.Instant;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One request the fake provider received, with the behaviour it got.
 *
 * @param seq arrival order, from 1
 * @param headers lower-cased header names
 * @param body the parsed JSON body, or {@code null} when it was not JSON
 */
public record RecordedRequest(long seq, String method, String path, Map<String, String> headers, JsonNode body, Fault.Kind answeredWith, Instant at) {
    /** The {@code X-Mainstay-Job} correlation header, or {@code ""}. */
    public String job() {
        return headers.getOrDefault("x-mainstay-job", "");
    }

    /** The {@code X-Mainstay-Stage} correlation header, or {@code ""}. */
    public String stage() {
        return headers.getOrDefault("x-mainstay-stage", "");
    }
}
