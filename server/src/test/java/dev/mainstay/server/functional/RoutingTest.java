package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.server.http.Route;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * How requests find their route: API paths and workflow paths never take each other's requests
 * (workflow names have slashes and may be three segments deep), a wrong method is 405 with every
 * method the path has, and what matches no route is Mainstay's own 404.
 */
class RoutingTest {
    private static final String KEY = TestNode.DEMO_KEY;

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .workflow("test/deep/echo", TestNode.ECHO.replace("workflow: test/echo", "workflow: test/deep/echo"))
            .workflow("jobsearch/echo", TestNode.ECHO.replace("workflow: test/echo", "workflow: jobsearch/echo")));
    static final Http http = node.http;

    @Test
    void aWorkflowPathMayHaveAnyDepthAndStartLikeAnApiSegment() {
        for (String workflow : new String[] {"test/deep/echo", "jobsearch/echo"}) {
            Http.Response r = http.post("/v1/" + workflow, KEY, "{\"text\": \"routed.\"}", "Prefer", "wait=20");
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            assertThat(r.json().path("workflow").asString()).isEqualTo(workflow);
        }
        assertThat(node.server().routes().find("POST", "/v1/test/deep/echo")).contains(new Route("POST", "/v1/{workflow}"));
        assertThat(node.server().routes().find("POST", "/v1/test/deep")).as("a prefix of a name is no workflow").isEmpty();
        assertThat(http.get("/v1/jobs", KEY).status()).isEqualTo(200);
    }

    @Test
    void aWrongMethodIs405NamingEveryMethodOfThePath() {
        String account = "/v1/admin/accounts/" + TestNode.DEMO_ACCOUNT;
        Http.Response limits = http.send(http.request(account + "/limits").method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
        assertProblem(limits, 405, "method_not_allowed");
        assertThat(limits.header("Allow")).isEqualTo("GET, PUT");
        Http.Response keys = http.delete(account + "/keys", TestNode.ADMIN_KEY);
        assertProblem(keys, 405, "method_not_allowed");
        assertThat(keys.header("Allow")).isEqualTo("GET, POST");
        assertThat(keys.json().path("detail").asString()).isEqualTo("DELETE is not allowed here; use GET or POST");
        Http.Response events = http.post("/v1/jobs/job_1/events", KEY, "{}");
        assertProblem(events, 405, "method_not_allowed");
        assertThat(events.header("Allow")).isEqualTo("GET");
    }

    @Test
    void pathsThatMatchNoRouteAreNotFound() {
        assertProblem(http.get("/v1/jobs/not%20an%20id", KEY), 404, "not_found");
        assertProblem(http.get("/v1/jobs/" + "j".repeat(81), KEY), 404, "not_found");
        assertProblem(http.get("/v1/jobs/job_1/nothing", KEY), 404, "not_found");
        assertProblem(http.post("/v1/jobs/job_1/cancel/now", KEY, "{}"), 404, "not_found");
        assertProblem(http.get("/v1/no/such/workflow", KEY), 404, "not_found");
        assertProblem(http.get("/", null), 404, "not_found");
    }

    @Test
    void aPostToAnUnknownWorkflowAsksForAKeyFirst() {
        assertProblem(http.post("/v1/briefs/no-such-thing", null, "{}"), 401, "unauthorized");
        assertProblem(http.post("/v1/briefs/no-such-thing", KEY, "{}"), 404, "unknown_workflow");
        assertProblem(http.post("/v1/admin/no-such-thing", KEY, "{}"), 404, "not_found");
    }

    @Test
    void aWorkflowNamedUnderAnApiSegmentIsRefusedAtStartAndByValidate(@TempDir Path dir) throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl())
                    .workflow("jobs/export", TestNode.ECHO.replace("workflow: test/echo", "workflow: jobs/export"));
            assertThatThrownBy(setup::start).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("jobs/export.yaml:1: workflow: may not start with a reserved API segment");
            Cli.Run validate = Cli.run("workflows", "validate", dir.resolve("workflows").toString());
            assertThat(validate.code()).isEqualTo(2);
            assertThat(validate.err()).contains("jobs/export.yaml:1").contains("reserved API segment");
            Files.delete(dir.resolve("workflows/jobs/export.yaml"));
            try (TestNode ok = TestNode.in(dir).provider(fake.baseUrl()).start()) {
                assertThat(ok.http.get("/health/ready", null).status()).isEqualTo(200);
            }
        }
    }
}
