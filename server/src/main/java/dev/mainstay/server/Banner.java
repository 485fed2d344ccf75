package dev.mainstay.server;

import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.workflow.WorkflowDefinition;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;

/** What {@code ./mainstay up} prints once the node is ready: where it is, its keys and a first request. */
final class Banner {
    private Banner() {
    }

    static void print(MainstayServer server, Duration startup, PrintStream out) {
        ServerConfig cfg = server.config();
        String base = server.baseUrl().toString();
        out.println();
        out.println("Mainstay " + MainstayServer.VERSION + " is ready on " + base + " (started in " + startup.toMillis() + " ms)");
        out.println("  database   " + switch (cfg.database()) {
            case Database.Sqlite sqlite -> sqlite.file() + " (SQLite, synchronous=" + sqlite.durability() + ")";
            case Database.Postgres pg -> pg.config().url() + " as " + pg.config().user()
                    + " (PostgreSQL, pool of " + pg.config().poolSize() + " connections)";
        });
        out.println("  workflows  " + server.workflows().all().stream()
                .map(w -> w.name() + " v" + w.version() + " (" + w.latency().wire() + ")").collect(Collectors.joining(", "))
                + "  from " + cfg.workflowDirs().stream().map(Path::toString).collect(Collectors.joining(", ")));
        if (server.workflows().dev()) {
            out.println("  dev mode   edited workflows and prompts are served as drafts of their version, reloaded when saved");
            server.workflows().drafts().forEach(d -> out.println("             draft " + d.name() + " v" + d.version() + " "
                    + dev.mainstay.ContentHash.shortForm(d.contentHash()) + " from " + d.source()));
        }
        if (cfg.demoOnly()) {
            out.println("  model      the built-in demo model (" + DemoProvider.MODEL + "): no provider is configured.");
            out.println("             Answers are built from your input, with realistic latency and an occasional");
            out.println("             simulated overload so retries are visible. Set OPENAI_API_KEY or");
            out.println("             ANTHROPIC_API_KEY to use a real model.");
        } else {
            out.println("  routes     " + cfg.routes().entrySet().stream().map(e -> e.getKey() + " -> " + e.getValue()).collect(Collectors.joining(", ")));
        }
        out.println("  demo key   " + server.demoApiKey() + "   (account acct_demo)");
        out.println("  admin key  " + server.adminKey() + "   (operator endpoints under /v1/admin)");
        out.println();
        WorkflowDefinition example = server.workflows().active("briefs/extract-key-points").orElse(null);
        if (example != null) {
            out.println("Try it:");
            out.println("  curl -s -X POST " + base + "/v1/briefs/extract-key-points \\");
            out.println("    -H 'Authorization: Bearer " + server.demoApiKey() + "' \\");
            out.println("    -H 'Content-Type: application/json' -H 'Prefer: wait=10' \\");
            out.println("    -d '{\"document\": \"Mainstay runs each AI feature as a durable job. Jobs survive restarts. "
                    + "Every result carries its provenance.\", \"max_points\": 3}'");
            out.println();
        }
        out.println("Stop with Ctrl-C: running jobs get " + cfg.shutdownGrace().toSeconds() + " s to finish, the rest resume at the next start.");
        out.flush();
    }
}
