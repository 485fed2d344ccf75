package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.server.stream.Browser;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A browser's own {@code EventSource} (headless Chromium) follows a job to its end while the node
 * serving it is killed with SIGKILL and started again on the same address: the browser reconnects
 * with {@code Last-Event-ID} and receives every event of the job once, in order.
 */
class EventSourceRestartTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String LISTEN = """
            window.got = []; window.errors = 0; window.opens = 0;
            const es = new EventSource('/v1/jobs/' + arguments[0] + '/events?access_token=' + arguments[1]);
            window.es = es;
            const types = ['submitted', 'queued', 'processing', 'stage_completed', 'stage_skipped', 'retry_scheduled', 'retrying', 'requeued',
                'target_switched', 'tool_started', 'tool_finished', 'review_requested', 'review_decided', 'replayed',
                'completed', 'partially_completed', 'degraded', 'failed', 'cancelled'];
            const terminal = ['completed', 'partially_completed', 'degraded', 'failed', 'cancelled'];
            for (const t of types) {
              es.addEventListener(t, (e) => {
                const data = JSON.parse(e.data);
                window.got.push({id: e.lastEventId, type: e.type, status: data.status});
                if (terminal.includes(data.status)) { es.close(); }
              });
            }
            es.addEventListener('error', () => { window.errors++; });
            es.addEventListener('open', () => { window.opens++; });
            """;

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> got(Browser b) {
        return (List<Map<String, Object>>) b.run("return window.got;");
    }

    @Test
    void anEventSourceFollowsAJobToItsEndAcrossAKilledAndRestartedNode() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofSeconds(3))));
                Browser browser = Browser.start()) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl());
            int port = TestNode.freePort();
            Process node = setup.launch(port, "eventsource-restart-node.log");
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            try {
                // The page is loaded first, so that the job is submitted only once the browser is ready to follow it.
                browser.open("http://127.0.0.1:" + port + "/docs");
                String id = http.post("/v1/test/pipeline", KEY, "{\"text\": \"Follow me across a restart.\"}").json().path("id").asString();
                browser.run(LISTEN, id, KEY);
                await().atMost(Duration.ofSeconds(30)).until(() -> got(browser).stream().anyMatch(e -> "processing".equals(e.get("type"))));

                node.destroyForcibly().waitFor(); // SIGKILL mid-stream, while the first stage's model call runs
                int before = got(browser).size();
                node = setup.launch(port, "eventsource-restart-node.log");

                await().atMost(Duration.ofSeconds(90)).until(() -> got(browser).stream().anyMatch(e -> "completed".equals(e.get("status"))));
                List<Map<String, Object>> events = got(browser);
                // Events after the kill were written by the restarted process: they reached the page
                // over a connection the browser opened again on its own.
                assertThat(events.size()).as("events received after the restart").isGreaterThan(before);
                assertThat(node.isAlive()).isTrue();
                List<Long> ids = events.stream().map(e -> Long.parseLong((String) e.get("id"))).toList();
                List<Long> listed = new ArrayList<>();
                http.get("/v1/jobs/" + id + "/events", KEY).json().path("events").forEach(e -> listed.add(e.path("seq").asLong()));
                assertThat(ids).as("every event once, in order, across the restart").isEqualTo(listed);
                assertThat(events.getLast().get("type")).isEqualTo("completed");
            } finally {
                node.destroyForcibly().waitFor();
            }
        }
    }
}
