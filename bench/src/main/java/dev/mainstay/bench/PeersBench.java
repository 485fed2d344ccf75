package dev.mainstay.bench;

import java.nio.file.Path;

/** graphile-worker and pg-boss next to Mainstay on the same PostgreSQL. */
final class PeersBench {
    private PeersBench() {
    }

    static String run(Path root) throws Exception {
        return "Not measured in this run: it needs the PostgreSQL store.\n";
    }
}
