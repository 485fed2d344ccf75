package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.require;
import static dev.mainstay.server.console.Console.view;

import dev.mainstay.engine.Engine;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import io.helidon.webserver.http.ServerRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The providers page: each target's breaker state, latency and error rate as this node sees them. */
final class ProvidersPage {
    private final Engine engine;

    ProvidersPage(Engine engine) {
        this.engine = engine;
    }

    /** Each target's breaker state, p95 latency and error rate; the overview shows them too. */
    List<Map<String, Object>> breakers() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TargetHealth.Snapshot h : engine.targetHealth()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", h.target().provider() + "/" + h.target().model());
            m.put("state", h.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            m.put("ok", h.state() == TargetHealth.State.CLOSED);
            m.put("p95", h.p95().map(Console::seconds).orElse("none yet"));
            m.put("calls", h.calls());
            m.put("failures", h.failures());
            m.put("errorRate", h.calls() == 0 ? "0%" : String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * h.failures() / h.calls()));
            out.add(m);
        }
        return out;
    }

    Answer providers(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        List<Map<String, Object>> failures = new ArrayList<>();
        for (TargetHealth.Failure f : engine.recentFailures()) {
            failures.add(Map.of("target", f.target().provider() + "/" + f.target().model(), "at", f.at().toString(), "kind", f.kind().replace('_', ' '),
                    "detail", f.detail()));
        }
        return view("providers", Map.of("title", "Providers", "breakers", breakers(), "rateLimits", RateLimitRows.of(engine), "failures", failures));
    }
}
