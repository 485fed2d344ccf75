package dev.mainstay.server.openapi;

import java.util.List;

/**
 * One endpoint of the fixed HTTP API as the OpenAPI document describes it: every route that is
 * not a workflow's. {@code response} and {@code body} name schemas of the document's components
 * ({@code null}: no body); {@code query} lists the query parameters it reads.
 */
record Operation(String method, String path, String id, String tag, String summary, Access access, String body, int status, String response,
        List<Query> query, List<Integer> problems) {

    /** Who may call it: nobody in particular, an account's key, or an operator's admin key. */
    enum Access {
        NONE, ACCOUNT, ADMIN
    }

    /** A query parameter: its name, JSON Schema type and what it does. */
    record Query(String name, String type, String description) {
    }

    Operation {
        query = List.copyOf(query);
        problems = List.copyOf(problems);
    }
}
