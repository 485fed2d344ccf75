package dev.mainstay.server.stream;

import java.io.UncheckedIOException;

/** Where a stream writes: the SSE sink of one response. A write to a client that has gone throws {@link UncheckedIOException}. */
interface Emitter {
    /** One event: {@code id:}, {@code event:} and {@code data:} lines. */
    void event(String id, String type, String data);

    /** A comment line, which clients ignore: the heartbeat. */
    void comment(String text);
}
