package dev.mainstay.store;

import java.time.Instant;

/**
 * One erasure on request, as recorded: its scope and what it removed so far. The same scope asked
 * again is the same erasure (its id is derived from the scope), which then erases what has come
 * into the scope since, if anything.
 *
 * @param requestedBy who asked first: {@code key:<key id>} over the API, {@code cli} from the command line
 * @param jobs jobs whose payloads it removed
 * @param rows rows it changed or deleted
 * @param characters characters of content among them
 * @param cancelled jobs still in flight that it cancelled before erasing them
 * @param completedAt when it last finished erasing; null while it runs
 */
public record Erasure(String id, ErasureScope scope, String requestedBy, Instant createdAt, Instant completedAt,
                      long jobs, long rows, long characters, long cancelled) {

    /** The id of the erasure of {@code scope}: the same for the same scope on every node. */
    public static String idOf(ErasureScope scope) {
        return "era_" + dev.mainstay.ContentHash.sha256(scope.kind() + "\n" + scope.target()).substring(0, 24);
    }
}
