package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.engine.Engine;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;

/**
 * {@code GET /health/live} and {@code GET /health/ready}, without a key: live while the process
 * answers; ready while the store answers and the node is not stopping.
 */
final class HealthResource implements HttpService {
    private final Engine engine;
    private final Store store;
    private final WorkflowRegistry registry;
    private volatile boolean stopping;

    HealthResource(Engine engine, Store store, WorkflowRegistry registry) {
        this.engine = engine;
        this.store = store;
        this.registry = registry;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health/live", handler(this::live))
                .get("/health/ready", handler(this::ready));
    }

    /** From now on {@code /health/ready} answers {@code 503 stopping}, so that load balancers stop sending. */
    void markStopping() {
        stopping = true;
    }

    private Reply live(ServerRequest req) {
        return Reply.json(200, Json.object().put("status", "live"));
    }

    private Reply ready(ServerRequest req) {
        if (stopping) {
            return Reply.json(503, Json.object().put("status", "stopping")).withHeader("Retry-After", "1");
        }
        try {
            store.countUnfinished(null);
        } catch (RuntimeException e) {
            return Reply.json(503, Json.object().put("status", "store unavailable").put("detail", e.getMessage()));
        }
        return Reply.json(200, Json.object().put("status", "ready").put("workflows", registry.all().size()).put("running_jobs", engine.runningCount()));
    }
}
