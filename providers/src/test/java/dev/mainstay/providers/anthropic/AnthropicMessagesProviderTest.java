package dev.mainstay.providers.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.RateLimits;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import dev.mainstay.testkit.RecordedRequest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The provider against the testkit fake's Messages endpoint over real loopback HTTP, one fault at a time. */
class AnthropicMessagesProviderTest {
    private static final JsonNode SCHEMA = Json.parse("""
            {"type": "object", "required": ["category", "summary"], "additionalProperties": false,
             "properties": {
               "category": {"type": "string", "enum": ["bug", "billing", "other"]},
               "summary": {"type": "string", "minLength": 1, "maxLength": 200}}}
            """);
    private static final String TICKET = "I was charged twice for my invoice this month. Please refund the billing error.";

    private final FakeProvider fake = FakeProvider.start(FaultScript.none());

    @AfterEach
    void stopFake() {
        fake.close();
    }

    private AnthropicMessagesProvider provider() {
        return new AnthropicMessagesProvider(new AnthropicMessagesProvider.Config("anthropic", fake.anthropicBaseUrl(), "sk-ant-test", Duration.ofSeconds(2)));
    }

    private static ModelRequest request(Duration timeout) {
        return new ModelRequest("claude-haiku-4-5",
                List.of(Message.system("You triage support tickets."), Message.user("Classify this ticket.\n<ticket>\n" + TICKET + "\n</ticket>")),
                SCHEMA, "triage_output", 300, timeout, Map.of("job", "job_01testjob", "stage", "triage", "workflow", "support/triage@1"));
    }

    private ProviderOutcome call(Fault fault) throws InterruptedException {
        return call(fault, Duration.ofSeconds(2));
    }

    private ProviderOutcome call(Fault fault, Duration timeout) throws InterruptedException {
        fake.script(FaultScript.of(fault));
        return provider().call(request(timeout));
    }

    @Test
    void okIsSuccessWithSchemaValidContentFromTheToolInputReportedModelAndUsage() throws Exception {
        assertThat(call(Fault.ok())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.reportedModel()).isEqualTo("claude-haiku-4-5-fake-0001");
            assertThat(s.inputTokens()).isPositive();
            assertThat(s.outputTokens()).isPositive();
            OutputContract contract = new OutputContract(JsonSchema.compile(SCHEMA));
            assertThat(contract.check(s.content(), Json.object())).isInstanceOfSatisfying(OutputContract.Check.Valid.class, v -> {
                assertThat(v.output().get("category").stringValue()).isEqualTo("billing");
                assertThat(TICKET).contains(v.output().get("summary").stringValue());
            });
        });
    }

    @Test
    void requestHasTopLevelSystemForcedRespondToolMaxTokensAndAnthropicHeaders() throws Exception {
        provider().call(request(Duration.ofSeconds(2)));
        RecordedRequest r = fake.requests().getFirst();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/v1/messages");
        assertThat(r.headers())
                .containsEntry("x-api-key", "sk-ant-test")
                .containsEntry("anthropic-version", "2023-06-01")
                .containsEntry("content-type", "application/json")
                .containsEntry("x-mainstay-workflow", "support/triage@1")
                .doesNotContainKey("authorization");
        assertThat(r.job()).isEqualTo("job_01testjob");
        assertThat(r.stage()).isEqualTo("triage");
        JsonNode body = r.body();
        assertThat(body.get("model").stringValue()).isEqualTo("claude-haiku-4-5");
        assertThat(body.get("max_tokens").intValue()).isEqualTo(300);
        assertThat(body.get("system").stringValue()).isEqualTo("You triage support tickets.");
        assertThat(body.get("messages")).isEqualTo(Json.parse("""
                [{"role": "user", "content": "Classify this ticket.\\n<ticket>\\n%s\\n</ticket>"}]""".formatted(TICKET)));
        assertThat(body.get("tools")).hasSize(1);
        assertThat(body.at("/tools/0/name").stringValue()).isEqualTo("respond");
        assertThat(body.at("/tools/0/input_schema")).isEqualTo(SCHEMA);
        assertThat(body.get("tool_choice")).isEqualTo(Json.parse("{\"type\": \"tool\", \"name\": \"respond\"}"));
        assertThat(body.has("response_format")).isFalse();
    }

    @Test
    void repairTurnsGoInOrderAndAnEmptyAnswerTurnIsLeftOut() throws Exception {
        AnthropicMessagesProvider p = provider();
        p.call(new ModelRequest("claude-haiku-4-5", List.of(Message.system("a"), Message.system("b"), Message.user("q"),
                Message.assistant("{\"x\": 1}"), Message.user("fix it")), SCHEMA, "s", 10, Duration.ofSeconds(2), Map.of()));
        p.call(new ModelRequest("claude-haiku-4-5", List.of(Message.user("q"), Message.assistant(""), Message.user("fix it")),
                SCHEMA, "s", 10, Duration.ofSeconds(2), Map.of()));
        JsonNode first = fake.requests().get(0).body();
        assertThat(first.get("system").stringValue()).isEqualTo("a\n\nb");
        assertThat(first.get("messages")).isEqualTo(Json.parse("""
                [{"role": "user", "content": "q"}, {"role": "assistant", "content": "{\\"x\\": 1}"}, {"role": "user", "content": "fix it"}]"""));
        JsonNode second = fake.requests().get(1).body();
        assertThat(second.has("system")).isFalse();
        assertThat(second.get("messages")).isEqualTo(Json.parse("""
                [{"role": "user", "content": "q"}, {"role": "user", "content": "fix it"}]"""));
    }

    @Test
    void offeredFunctionsAreAskedForWithToolUseAndTheirResultsGoBackAsToolResults() throws Exception {
        AnthropicMessagesProvider p = provider();
        var lookup = new dev.mainstay.provider.ToolDefinition("lookup_order", "Looks up an order.",
                Json.parse("{\"type\": \"object\", \"required\": [\"order_id\"], \"properties\": {\"order_id\": {\"type\": \"string\"}}}"));
        List<Message> first = List.of(Message.system("You answer."), Message.user("Where is my order?"));
        ProviderOutcome asked = p.call(new ModelRequest("claude-haiku-4-5", first, SCHEMA, "s", 100, Duration.ofSeconds(2), Map.of(), List.of(lookup)));
        RecordedRequest sent = fake.requests().getFirst();
        assertThat(sent.body().path("tool_choice").path("type").asString()).isEqualTo("any");
        assertThat(sent.body().path("tools").findValuesAsString("name")).containsExactly("respond", "lookup_order");
        var call = ((ProviderOutcome.Success) asked).toolCalls().getFirst();
        assertThat(call.name()).isEqualTo("lookup_order");
        assertThat(call.arguments().path("order_id").isString()).isTrue();

        List<Message> second = new java.util.ArrayList<>(first);
        second.add(Message.assistant("", List.of(call)));
        second.add(Message.toolResult(call.id(), "{\"status\": \"shipped\"}"));
        ProviderOutcome answered = p.call(new ModelRequest("claude-haiku-4-5", second, SCHEMA, "s", 100, Duration.ofSeconds(2), Map.of(), List.of(lookup)));
        JsonNode messages = fake.requests().get(1).body().path("messages");
        assertThat(messages.get(1).path("content").get(0).path("type").asString()).isEqualTo("tool_use");
        assertThat(messages.get(2).path("role").asString()).isEqualTo("user");
        assertThat(messages.get(2).path("content").get(0).path("tool_use_id").asString()).isEqualTo(call.id());
        assertThat(answered).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.toolCalls()).isEmpty();
            assertThat(Json.parse(s.content()).has("category")).isTrue();
        });
    }

    @Test
    void oddTokenCountsArePassedOnAsReportedOrAsUnreported() throws Exception {
        assertThat(call(Fault.negativeUsage())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(-17);
            assertThat(s.outputTokens()).isEqualTo(-3);
            assertThat(s.cachedInputTokens()).as("no cache fields: no cache hits").isZero();
        });
        assertThat(call(Fault.absurdUsage())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(Long.MAX_VALUE);
            assertThat(s.outputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
        });
        assertThat(call(Fault.ok().usage("\"NaN\"", null))).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
            assertThat(s.outputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
        });
    }

    @Test
    void anAnswerCutOffAtMaxTokensIsPassedOnAsTextForTheContractToJudge() throws Exception {
        assertThat(call(Fault.cutOff())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.content()).startsWith("{").doesNotEndWith("}"));
        assertThat(call(Fault.refusalWithContent())).isInstanceOf(ProviderOutcome.Refused.class);
    }

    @Test
    void rateLimitedCarriesTheRetryAfter() throws Exception {
        assertThat(call(Fault.status(429).retryAfter(Duration.ofSeconds(2)))).isEqualTo(new ProviderOutcome.RateLimited(
                Optional.of(Duration.ofSeconds(2)), "HTTP 429 rate_limit_error: scripted failure with status 429"));
    }

    @Test
    void overloadedAndApiErrorsAreTransient() throws Exception {
        assertThat(call(Fault.status(529))).isEqualTo(new ProviderOutcome.Transient(Optional.empty(), "HTTP 529 overloaded_error: scripted failure with status 529"));
        assertThat(call(Fault.status(500).retryAfter(Duration.ofSeconds(3))))
                .isEqualTo(new ProviderOutcome.Transient(Optional.of(Duration.ofSeconds(3)), "HTTP 500 api_error: scripted failure with status 500"));
    }

    @Test
    void invalidRequestAndBadKeyAreFatal() throws Exception {
        assertThat(call(Fault.status(400))).isEqualTo(new ProviderOutcome.Fatal(400, "invalid_request_error: scripted failure with status 400"));
        assertThat(call(Fault.status(401))).isEqualTo(new ProviderOutcome.Fatal(401, "authentication_error: scripted failure with status 401"));
    }

    @Test
    void hangPastTheRequestTimeoutIsTimedOut() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        assertThat(call(Fault.hang(), timeout)).isInstanceOfSatisfying(ProviderOutcome.TimedOut.class,
                t -> assertThat(t.after()).isEqualTo(timeout));
    }

    @Test
    void connectionResetIsTransient() throws Exception {
        assertThat(call(Fault.reset())).isInstanceOfSatisfying(ProviderOutcome.Transient.class,
                t -> assertThat(t.detail()).contains("connection to 127.0.0.1:" + fake.port() + " failed"));
    }

    @Test
    void malformedBodyIsTransient() throws Exception {
        assertThat(call(Fault.malformed())).isInstanceOfSatisfying(ProviderOutcome.Transient.class,
                t -> assertThat(t.detail()).contains("not JSON"));
    }

    @Test
    void truncatedBodyIsTransient() throws Exception {
        assertThat(call(Fault.truncated())).isInstanceOf(ProviderOutcome.Transient.class);
    }

    @Test
    void refusalStopReasonIsRefusedWithTheModelsWords() throws Exception {
        assertThat(call(Fault.refusal())).isEqualTo(new ProviderOutcome.Refused("I can't help with that request."));
    }

    @Test
    void invalidAndProseOutputAreSuccessesThatFailTheContract() throws Exception {
        OutputContract contract = new OutputContract(JsonSchema.compile(SCHEMA));
        for (Fault f : List.of(Fault.invalidOutput(), Fault.proseOutput())) {
            assertThat(call(f)).as(f.kind().name()).isInstanceOfSatisfying(ProviderOutcome.Success.class,
                    s -> assertThat(contract.check(s.content(), Json.object())).isInstanceOf(OutputContract.Check.Invalid.class));
        }
    }

    @Test
    void unreachableServerIsTransient() throws Exception {
        int port = fake.port();
        fake.close();
        AnthropicMessagesProvider p = new AnthropicMessagesProvider(new AnthropicMessagesProvider.Config("gone", URI.create("http://127.0.0.1:" + port), "", Duration.ofSeconds(1)));
        assertThat(p.call(request(Duration.ofSeconds(1)))).isInstanceOf(ProviderOutcome.Transient.class);
    }

    @Test
    void endpointAppendsV1MessagesToTheBaseUrl() {
        assertThat(new AnthropicMessagesProvider(new AnthropicMessagesProvider.Config("x", URI.create("http://h:1/"), "", Duration.ofSeconds(1))).endpoint())
                .isEqualTo(URI.create("http://h:1/v1/messages"));
        assertThat(new AnthropicMessagesProvider(new AnthropicMessagesProvider.Config("x", AnthropicMessagesProvider.Config.DEFAULT_BASE_URL, "", Duration.ofSeconds(1))).endpoint())
                .isEqualTo(URI.create("https://api.anthropic.com/v1/messages"));
    }

    @Test
    void rateLimitHeadersAreReadAsInstantsOnTheProvidersClock() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        fake.clock(clock);
        AnthropicMessagesProvider provider = new AnthropicMessagesProvider(
                new AnthropicMessagesProvider.Config("anthropic", fake.anthropicBaseUrl(), "sk-ant-test", Duration.ofSeconds(2)), clock);
        fake.script(FaultScript.of(Fault.ok().rateLimits(new Fault.RateLimits(50, 0, Duration.ofSeconds(2), 40_000, 38_000, Duration.ofMillis(1500)))));
        ProviderOutcome answer = provider.call(request(Duration.ofSeconds(2)));
        assertThat(answer).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            // anthropic-ratelimit-*-reset are RFC 3339 instants to the second: 1.5 s is written as 2 s.
            assertThat(s.rateLimits().budgets()).containsExactly(
                    new RateLimits.Budget("requests", 50, 0, Duration.ofSeconds(2)),
                    new RateLimits.Budget("tokens", 40_000, 38_000, Duration.ofSeconds(2)));
            assertThat(s.budgetExhaustedFor()).isEqualTo(Duration.ofSeconds(2));
        });
        assertThat(fake.requests().getLast().path()).isEqualTo("/v1/messages");
    }

    @Test
    void malformedAnthropicRateLimitHeadersAreIgnored() throws Exception {
        ProviderOutcome outcome = call(Fault.status(429).headers(Map.of(
                "anthropic-ratelimit-requests-limit", "fifty",
                "anthropic-ratelimit-requests-remaining", "-1",
                "anthropic-ratelimit-requests-reset", "tomorrow",
                "anthropic-ratelimit-input-tokens-reset", "2026-13-45T99:00:00Z",
                "retry-after", "Wed, 99 Foo 2026")));
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
            assertThat(r.rateLimits()).isEqualTo(RateLimits.NONE);
            assertThat(r.retryAfter()).isEmpty();
        });
    }
}
