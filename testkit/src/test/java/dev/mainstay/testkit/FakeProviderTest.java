package dev.mainstay.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The fake as a plain HTTP client sees it. */
class FakeProviderTest {
    private static final String BODY = """
            {"model": "m", "messages": [{"role": "user", "content": "Triage <ticket>The export button fails. It shows an error.</ticket>"}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "t", "schema":
               {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}}}}
            """;

    private static final String MESSAGES_BODY = """
            {"model": "claude-haiku-4-5", "max_tokens": 200, "system": "You triage tickets.",
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Triage <ticket>The export button fails. It shows an error.</ticket>"}]}],
             "tools": [{"name": "respond", "description": "d", "input_schema":
               {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}}],
             "tool_choice": {"type": "tool", "name": "respond"}}
            """;

    private final FakeProvider fake = FakeProvider.start(FaultScript.none());
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stop() {
        fake.close();
        http.close();
    }

    private HttpResponse<String> post(String job) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(BODY));
        if (job != null) {
            b.header("X-Mainstay-Job", job);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersWithSchemaShapedContentFromTheDelimitedPrompt() throws Exception {
        HttpResponse<String> r = post(null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode root = Json.parse(r.body());
        assertThat(root.get("model").stringValue()).isEqualTo("m-fake-0001");
        JsonNode content = Json.parse(root.at("/choices/0/message/content").stringValue());
        // A summary gets two sentences of the ticket, in order.
        assertThat(content.get("summary").stringValue()).isEqualTo("The export button fails. It shows an error.");
        assertThat(root.at("/usage/prompt_tokens").longValue()).isPositive();
    }

    @Test
    void stepsAreUsedInOrderThenTheFallback() throws Exception {
        fake.script(FaultScript.of(Fault.status(503), Fault.status(429).retryAfter(Duration.ofMillis(1500))));
        assertThat(post(null).statusCode()).isEqualTo(503);
        HttpResponse<String> limited = post(null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).contains("2");
        assertThat(post(null).statusCode()).isEqualTo(200);
        assertThat(fake.requests()).extracting(RecordedRequest::answeredWith)
                .containsExactly(Fault.Kind.STATUS, Fault.Kind.STATUS, Fault.Kind.OK);
        assertThat(fake.requests()).extracting(RecordedRequest::seq).containsExactly(1L, 2L, 3L);
    }

    @Test
    void perJobScriptsLetEveryJobWalkTheStepsOnItsOwn() throws Exception {
        fake.script(FaultScript.perJob(Fault.status(500)));
        List<Integer> statuses = List.of(post("job_a").statusCode(), post("job_b").statusCode(), post("job_a").statusCode(), post("job_b").statusCode());
        assertThat(statuses).containsExactly(500, 500, 200, 200);
        assertThat(fake.requests()).extracting(RecordedRequest::job).containsExactly("job_a", "job_b", "job_a", "job_b");
    }

    private HttpResponse<String> postMessages(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(fake.anthropicBaseUrl() + "/v1/messages"))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final String NUMBERS_BODY = """
            {"model": "m", "messages": [{"role": "user", "content": "<ticket>The export button fails.</ticket>"}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "t", "schema":
               {"type": "object", "required": ["summary", "score", "confidence", "parts"], "properties": {
                 "summary": {"type": "string"}, "score": {"type": "integer", "minimum": 0, "maximum": 100},
                 "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                 "parts": {"type": "array", "maxItems": 1, "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}}}}}}
            """;

    private JsonNode postChat(String body) throws Exception {
        return Json.parse(http.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/chat/completions")).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void oddButWellFormedAnswersAreScriptable() throws Exception {
        fake.script(FaultScript.of(Fault.negativeUsage(), Fault.absurdUsage(), Fault.ok().usage("\"NaN\"", null), Fault.ok().numbers("1e308"),
                Fault.ok().numbers("\"NaN\""), Fault.refusalWithContent(), Fault.emptyChoices(), Fault.cutOff()));
        JsonNode negative = postChat(BODY);
        assertThat(negative.path("usage")).isEqualTo(Json.parse("{\"prompt_tokens\": -17, \"completion_tokens\": -3, \"total_tokens\": -20}"));
        assertThat(Json.parse(negative.at("/choices/0/message/content").stringValue()).path("summary").isString()).isTrue();
        JsonNode absurd = postChat(BODY);
        assertThat(absurd.at("/usage/prompt_tokens").longValue()).isEqualTo(Long.MAX_VALUE);
        assertThat(absurd.at("/usage/completion_tokens").doubleValue()).isEqualTo(1e308);
        assertThat(absurd.at("/usage").has("total_tokens")).isFalse();
        assertThat(postChat(BODY).path("usage")).isEqualTo(Json.parse("{\"prompt_tokens\": \"NaN\"}"));

        JsonNode huge = Json.parse(postChat(NUMBERS_BODY).at("/choices/0/message/content").stringValue());
        assertThat(huge.path("score").doubleValue()).isEqualTo(1e308);
        assertThat(huge.path("confidence").doubleValue()).isEqualTo(1e308);
        assertThat(huge.at("/parts/0/n").doubleValue()).isEqualTo(1e308);
        assertThat(huge.path("summary").stringValue()).startsWith("The export button fails.");
        JsonNode nan = Json.parse(postChat(NUMBERS_BODY).at("/choices/0/message/content").stringValue());
        assertThat(nan.path("score").stringValue()).isEqualTo("NaN");
        assertThat(nan.path("confidence").stringValue()).isEqualTo("NaN");

        JsonNode refusal = postChat(BODY).at("/choices/0/message");
        assertThat(refusal.path("refusal").stringValue()).isEqualTo("I can't help with that request.");
        assertThat(Json.parse(refusal.path("content").stringValue()).path("summary").isString()).isTrue();
        JsonNode empty = postChat(BODY);
        assertThat(empty.path("choices").isArray()).isTrue();
        assertThat(empty.path("choices").isEmpty()).isTrue();
        assertThat(empty.at("/usage/prompt_tokens").longValue()).isPositive();
        JsonNode cut = postChat(BODY).at("/choices/0");
        assertThat(cut.path("finish_reason").stringValue()).isEqualTo("length");
        String partial = cut.at("/message/content").stringValue();
        assertThat(partial).startsWith("{\"summary\":\"The export");
        assertThat(partial).doesNotEndWith("}");
        assertThat(fake.requests()).extracting(RecordedRequest::answeredWith).containsExactly(Fault.Kind.OK, Fault.Kind.OK, Fault.Kind.OK, Fault.Kind.OK,
                Fault.Kind.OK, Fault.Kind.REFUSAL_WITH_CONTENT, Fault.Kind.EMPTY_CHOICES, Fault.Kind.CUT_OFF);
    }

    @Test
    void messagesGetTheOddAnswersInTheirOwnShape() throws Exception {
        fake.script(FaultScript.of(Fault.negativeUsage(), Fault.refusalWithContent(), Fault.emptyChoices(), Fault.cutOff()));
        assertThat(Json.parse(postMessages(MESSAGES_BODY).body()).path("usage")).isEqualTo(Json.parse("{\"input_tokens\": -17, \"output_tokens\": -3}"));
        JsonNode refusal = Json.parse(postMessages(MESSAGES_BODY).body());
        assertThat(refusal.path("stop_reason").stringValue()).isEqualTo("refusal");
        assertThat(refusal.at("/content/0/type").stringValue()).isEqualTo("tool_use");
        JsonNode empty = Json.parse(postMessages(MESSAGES_BODY).body());
        assertThat(empty.path("content").isEmpty()).isTrue();
        JsonNode cut = Json.parse(postMessages(MESSAGES_BODY).body());
        assertThat(cut.path("stop_reason").stringValue()).isEqualTo("max_tokens");
        assertThat(cut.at("/content/0/text").stringValue()).startsWith("{\"summary\":").doesNotEndWith("}");
    }

    @Test
    void messagesAnswerWithAToolUseBlockForTheForcedToolBuiltFromTheDelimitedPrompt() throws Exception {
        HttpResponse<String> r = postMessages(MESSAGES_BODY);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode root = Json.parse(r.body());
        assertThat(root.get("id").stringValue()).startsWith("msg_");
        assertThat(root.get("type").stringValue()).isEqualTo("message");
        assertThat(root.get("role").stringValue()).isEqualTo("assistant");
        assertThat(root.get("model").stringValue()).isEqualTo("claude-haiku-4-5-fake-0001");
        assertThat(root.get("stop_reason").stringValue()).isEqualTo("tool_use");
        JsonNode block = root.at("/content/0");
        assertThat(block.get("type").stringValue()).isEqualTo("tool_use");
        assertThat(block.get("name").stringValue()).isEqualTo("respond");
        assertThat(block.get("id").stringValue()).startsWith("toolu_");
        assertThat(block.at("/input/summary").stringValue()).isEqualTo("The export button fails. It shows an error.");
        assertThat(root.at("/usage/input_tokens").longValue()).isPositive();
        assertThat(root.at("/usage/output_tokens").longValue()).isPositive();
        assertThat(fake.requests().getFirst().path()).isEqualTo("/v1/messages");
    }

    @Test
    void messagesWithoutAForcedToolAnswerWithATextBlock() throws Exception {
        JsonNode root = Json.parse(postMessages("""
                {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "Say hello."}]}
                """).body());
        assertThat(root.get("stop_reason").stringValue()).isEqualTo("end_turn");
        assertThat(root.at("/content/0/type").stringValue()).isEqualTo("text");
        assertThat(root.at("/content/0/text").stringValue()).isNotBlank();
    }

    @Test
    void messagesFollowTheSameScriptWithAnthropicErrorBodies() throws Exception {
        fake.script(FaultScript.of(Fault.status(529), Fault.status(429).retryAfter(Duration.ofSeconds(3)), Fault.refusal(), Fault.proseOutput()));
        HttpResponse<String> overloaded = postMessages(MESSAGES_BODY);
        assertThat(overloaded.statusCode()).isEqualTo(529);
        assertThat(Json.parse(overloaded.body())).isEqualTo(Json.parse("""
                {"type": "error", "error": {"type": "overloaded_error", "message": "scripted failure with status 529"}}"""));
        HttpResponse<String> limited = postMessages(MESSAGES_BODY);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).contains("3");
        assertThat(Json.parse(limited.body()).at("/error/type").stringValue()).isEqualTo("rate_limit_error");
        JsonNode refusal = Json.parse(postMessages(MESSAGES_BODY).body());
        assertThat(refusal.get("stop_reason").stringValue()).isEqualTo("refusal");
        JsonNode prose = Json.parse(postMessages(MESSAGES_BODY).body());
        assertThat(prose.get("stop_reason").stringValue()).isEqualTo("end_turn");
        assertThat(prose.at("/content/0/text").stringValue()).startsWith("Sure!");
        assertThat(fake.requests()).extracting(RecordedRequest::answeredWith)
                .containsExactly(Fault.Kind.STATUS, Fault.Kind.STATUS, Fault.Kind.REFUSAL, Fault.Kind.PROSE_OUTPUT);
    }

    @Test
    void otherPathsAre404AndRecorded() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/models")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(fake.requestCount()).isEqualTo(1);
        fake.clearRequests();
        assertThat(fake.requests()).isEmpty();
    }
}
