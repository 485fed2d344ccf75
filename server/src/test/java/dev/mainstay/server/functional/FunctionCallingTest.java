package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FakeToolServer;
import dev.mainstay.testkit.RecordedRequest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** A model stage offers functions: the model asks, Mainstay calls the tool, and the answer goes back to the model. */
class FunctionCallingTest {
    static final String KEY = TestNode.DEMO_KEY;

    private static final String FUNCTIONS = """
            workflow: test/functions
            version: 1
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: answer
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                  tools:
                    - name: lookup_order
                      description: Looks up an order by its id.
                      tool: crm
                      path: "/orders/{{args.order_id}}"
                      parameters: { type: object, required: [order_id], properties: { order_id: { type: string, maxLength: 40 } } }
                    - name: customer_notes
                      tool: crm
                      method: POST
                      path: /search
                      body: { query: "{{args.query}}" }
                      parameters: { type: object, required: [query], properties: { query: { type: string } } }
                  max_tool_calls: 3
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string } } }
            """;

    static final FakeToolServer crm = FakeToolServer.start();
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> ToolStageTest.withTools(setup, crm)
            .workflow("test/functions", FUNCTIONS)
            .workflow("test/functions-bounded", FUNCTIONS.replace("test/functions", "test/functions-bounded").replace("max_tool_calls: 3", "max_tool_calls: 1")));
    static final FakeProvider fake = node.fake;

    @AfterAll
    static void stopTools() {
        crm.close();
    }

    @Test
    void theModelsFunctionCallsAreMadeAndTheirAnswersSentBack() {
        String id = node.http.post("/v1/test/functions", KEY, "{\"text\": \"Where is order 42?\"}").json().path("id").asString();
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("completed");

        List<RecordedRequest> calls = fake.requests().stream().filter(r -> r.job().equals(id)).toList();
        assertThat(calls).hasSize(3); // asks for lookup_order, then customer_notes, then answers
        assertThat(calls.get(0).body().path("tools").findValuesAsString("name")).containsExactly("lookup_order", "customer_notes");
        JsonNode last = calls.get(2).body().path("messages");
        List<JsonNode> results = last.valueStream().filter(m -> m.path("role").asString().equals("tool")).toList();
        assertThat(results).hasSize(2);
        assertThat(results.get(0).path("content").asString()).contains("\"path\":\"/orders/");
        assertThat(results.get(1).path("content").asString()).contains("\"query\"");

        List<FakeToolServer.Request> made = crm.requests().stream().filter(r -> r.idempotencyKey() != null && r.idempotencyKey().startsWith(id + "/answer/")).toList();
        assertThat(made).extracting(FakeToolServer.Request::idempotencyKey).containsExactly(id + "/answer/lookup_order-1", id + "/answer/customer_notes-2");
        assertThat(made.get(0).method()).isEqualTo("GET");
        assertThat(made.get(1).method()).isEqualTo("POST");

        List<String> events = node.http.get("/v1/jobs/" + id + "/events", KEY).json().path("events").findValuesAsString("type");
        assertThat(events).containsSubsequence("tool_started", "tool_finished", "tool_started", "tool_finished", "completed");
        JsonNode audit = node.http.get("/v1/admin/audit?job=" + id + "&action=tool.called", TestNode.ADMIN_KEY).json().path("records");
        assertThat(audit.findValuesAsString("function")).containsExactly("lookup_order", "customer_notes");
        assertThat(job.path("usage").path("input_tokens").asLong()).isPositive();
    }

    @Test
    void moreCallsThanTheStageAllowsFailTheStage() {
        String id = node.http.post("/v1/test/functions-bounded", KEY, "{\"text\": \"Where is order 7?\"}").json().path("id").asString();
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("message").asString()).contains("more than 1 function calls");
        assertThat(crm.requests().stream().filter(r -> r.idempotencyKey() != null && r.idempotencyKey().startsWith(id + "/")).count()).isEqualTo(1);
    }
}
