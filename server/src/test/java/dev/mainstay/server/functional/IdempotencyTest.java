package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Idempotency-Key semantics of DESIGN §4, including racing duplicates. */
class IdempotencyTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start().script(FaultScript.always(Fault.ok().latency(Duration.ofMillis(50))));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    @Test
    void sameKeySameBodyReturnsTheSameJob() {
        Http.Response first = node.http.post("/v1/test/echo", KEY, "{\"text\": \"once.\"}", "Idempotency-Key", "order-1");
        Http.Response second = node.http.post("/v1/test/echo", KEY, "{ \"text\" : \"once.\" }", "Idempotency-Key", "order-1");
        assertThat(first.status()).isEqualTo(202);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(second.status()).isIn(200, 202);
        assertThat(second.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(second.json().path("id").asString()).isEqualTo(first.json().path("id").asString());
        assertThat(second.json().path("idempotency_key").asString()).isEqualTo("order-1");
    }

    @Test
    void spellingOutADefaultIsTheSameRequest() {
        String doc = "{\"document\": \"Defaults count once.\"}";
        String withDefault = "{\"document\": \"Defaults count once.\", \"max_points\": 5}";
        String first = node.http.post("/v1/briefs/extract-key-points", KEY, doc, "Idempotency-Key", "defaults-1").json().path("id").asString();
        Http.Response again = node.http.post("/v1/briefs/extract-key-points", KEY, withDefault, "Idempotency-Key", "defaults-1");
        assertThat(again.json().path("id").asString()).isEqualTo(first);
        assertProblem(node.http.post("/v1/briefs/extract-key-points", KEY,
                "{\"document\": \"Defaults count once.\", \"max_points\": 4}", "Idempotency-Key", "defaults-1"), 422, "idempotency_conflict");
    }

    @Test
    void sameKeyDifferentBodyIs422() {
        node.http.post("/v1/test/echo", KEY, "{\"text\": \"one.\"}", "Idempotency-Key", "order-2");
        Http.Response conflict = node.http.post("/v1/test/echo", KEY, "{\"text\": \"two.\"}", "Idempotency-Key", "order-2");
        assertProblem(conflict, 422, "idempotency_conflict");
    }

    @Test
    void keysAreScopedPerAccount() {
        String other = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Other\"}").json().path("api_key").path("secret").asString();
        String a = node.http.post("/v1/test/echo", KEY, "{\"text\": \"shared key.\"}", "Idempotency-Key", "shared").json().path("id").asString();
        String b = node.http.post("/v1/test/echo", other, "{\"text\": \"shared key.\"}", "Idempotency-Key", "shared").json().path("id").asString();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void malformedKeyIs400() {
        assertProblem(node.http.post("/v1/test/echo", KEY, "{\"text\": \"x\"}", "Idempotency-Key", "x".repeat(300)), 400, "invalid_input");
    }

    @Test
    void fiftyConcurrentSubmitsWithOneKeyMakeExactlyOneJob() throws Exception {
        String account = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Racer\"}").json().path("api_key").path("secret").asString();
        List<Callable<Http.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(() -> node.http.post("/v1/test/echo", account, "{\"text\": \"race.\"}", "Idempotency-Key", "race-1"));
        }
        Set<String> ids = new HashSet<>();
        int created = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Http.Response> f : pool.invokeAll(calls)) {
                Http.Response r = f.get();
                assertThat(r.status()).as(r.text()).isIn(200, 202);
                ids.add(r.json().path("id").asString());
                if (r.header("Idempotent-Replayed") == null) {
                    created++;
                }
            }
        }
        assertThat(ids).hasSize(1);
        assertThat(created).isEqualTo(1);
        assertThat(node.http.get("/v1/jobs?limit=500", account).json().path("jobs").size()).isEqualTo(1);
        TestNode.awaitTerminal(node.http, account, ids.iterator().next());
        long calls50 = fake.requests().stream().filter(r -> r.job().equals(ids.iterator().next())).count();
        assertThat(calls50).isEqualTo(1);
    }
}
