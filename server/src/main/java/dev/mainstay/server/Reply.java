package dev.mainstay.server;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** One answer of the HTTP API: status, JSON body and extra headers. */
record Reply(int status, JsonNode body, List<String[]> headers) {
    static Reply json(int status, JsonNode body) {
        return new Reply(status, body, new ArrayList<>());
    }

    Reply header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }
}
