package dev.mainstay.providers.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.mainstay.testkit.RecordedRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The provider against the testkit fake over real loopback HTTP, one fault at a time. */
class OpenAiChatProviderTest {
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

    private OpenAiChatProvider provider(String apiKey, String maxTokensField) {
        return new OpenAiChatProvider(new OpenAiChatProvider.Config("fake", fake.baseUrl(), apiKey, Duration.ofSeconds(2), maxTokensField));
    }

    private static ModelRequest request(Duration timeout) {
        return new ModelRequest("gpt-4o-mini",
                List.of(Message.system("You triage support tickets."), Message.user("Classify this ticket.\n<ticket>\n" + TICKET + "\n</ticket>")),
                SCHEMA, "triage", 300, timeout, Map.of("job", "job_01testjob", "stage", "triage"));
    }

    private ProviderOutcome call(Fault fault) throws InterruptedException {
        return call(fault, Duration.ofSeconds(2));
    }

    private ProviderOutcome call(Fault fault, Duration timeout) throws InterruptedException {
        fake.script(FaultScript.of(fault));
        return provider("sk-test", "max_tokens").call(request(timeout));
    }

    @Test
    void okIsSuccessWithReportedModelUsageAndSchemaValidContent() throws Exception {
        ProviderOutcome outcome = call(Fault.ok());
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.reportedModel()).isEqualTo("gpt-4o-mini-fake-0001");
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
    void rateLimitedCarriesTheRetryAfter() throws Exception {
        assertThat(call(Fault.status(429).retryAfter(Duration.ofSeconds(2))))
                .isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
                    assertThat(r.retryAfter()).contains(Duration.ofSeconds(2));
                    assertThat(r.detail()).startsWith("HTTP 429");
                });
    }

    @Test
    void serverErrorsAreTransient() throws Exception {
        assertThat(call(Fault.status(500))).isInstanceOfSatisfying(ProviderOutcome.Transient.class,
                t -> assertThat(t.detail()).isEqualTo("HTTP 500: scripted failure with status 500"));
        assertThat(call(Fault.status(503).retryAfter(Duration.ofSeconds(3))))
                .isEqualTo(new ProviderOutcome.Transient(Optional.of(Duration.ofSeconds(3)), "HTTP 503: scripted failure with status 503"));
    }

    @Test
    void clientErrorsAreFatal() throws Exception {
        assertThat(call(Fault.status(400))).isEqualTo(new ProviderOutcome.Fatal(400, "scripted failure with status 400"));
        assertThat(call(Fault.status(401))).isEqualTo(new ProviderOutcome.Fatal(401, "scripted failure with status 401"));
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
    void refusalIsRefused() throws Exception {
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
        OpenAiChatProvider p = new OpenAiChatProvider(new OpenAiChatProvider.Config("gone", URI.create("http://127.0.0.1:" + port + "/v1"), "", Duration.ofSeconds(1), "max_tokens"));
        assertThat(p.call(request(Duration.ofSeconds(1)))).isInstanceOf(ProviderOutcome.Transient.class);
    }

    @Test
    void requestCarriesModelMessagesSchemaTokenLimitAndCorrelationHeaders() throws Exception {
        provider("sk-test", "max_tokens").call(request(Duration.ofSeconds(2)));
        RecordedRequest r = fake.requests().getFirst();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.headers()).containsEntry("authorization", "Bearer sk-test").containsEntry("content-type", "application/json");
        assertThat(r.job()).isEqualTo("job_01testjob");
        assertThat(r.stage()).isEqualTo("triage");
        JsonNode body = r.body();
        assertThat(body.get("model").stringValue()).isEqualTo("gpt-4o-mini");
        assertThat(body.get("messages")).isEqualTo(Json.parse("""
                [{"role": "system", "content": "You triage support tickets."},
                 {"role": "user", "content": "Classify this ticket.\\n<ticket>\\n%s\\n</ticket>"}]""".formatted(TICKET)));
        assertThat(body.get("max_tokens").intValue()).isEqualTo(300);
        assertThat(body.has("max_completion_tokens")).isFalse();
        assertThat(body.at("/response_format/type").stringValue()).isEqualTo("json_schema");
        assertThat(body.at("/response_format/json_schema/name").stringValue()).isEqualTo("triage");
        // The schema fits strict mode once the lengths, which Mainstay checks itself, are left out.
        assertThat(body.at("/response_format/json_schema/strict").booleanValue()).isTrue();
        assertThat(body.at("/response_format/json_schema/schema")).isEqualTo(Json.parse("""
                {"type": "object", "additionalProperties": false, "required": ["category", "summary"],
                 "properties": {
                   "category": {"type": "string", "enum": ["bug", "billing", "other"]},
                   "summary": {"type": "string"}}}
                """));
    }

    @Test
    void withStrictSchemaOffTheSchemaGoesAsWrittenWithoutStrictMode() throws Exception {
        OpenAiChatProvider p = new OpenAiChatProvider(new OpenAiChatProvider.Config("fake", fake.baseUrl(), "", Duration.ofSeconds(2), "max_tokens", false));
        ProviderOutcome outcome = p.call(request(Duration.ofSeconds(2)));
        JsonNode body = fake.requests().getFirst().body();
        assertThat(body.at("/response_format/json_schema/strict").booleanValue()).isFalse();
        assertThat(body.at("/response_format/json_schema/schema")).isEqualTo(SCHEMA);
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.strictSchema()).isFalse());
    }

    @Test
    void anOptionalFieldIsSentRequiredAndNullableAndItsNullIsTakenOutOfTheAnswer() throws Exception {
        JsonNode schema = Json.parse("""
                {"type": "object", "required": ["summary"],
                 "properties": {
                   "summary": {"type": "string", "minLength": 1},
                   "note": {"type": "string"},
                   "tags": {"type": "array", "items": {"type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string"}, "weight": {"type": "number"}}}}}}
                """);
        // The model fills every field, with null for the ones it leaves empty.
        fake.script(FaultScript.of(Fault.ok().numbers("null")));
        OpenAiChatProvider p = provider("", "max_completion_tokens");
        ProviderOutcome outcome = p.call(new ModelRequest("gpt-4o-mini", List.of(Message.user("<doc>Notes. More notes.</doc>")), schema, "notes", 300,
                Duration.ofSeconds(2), Map.of()));
        JsonNode sent = fake.requests().getFirst().body().at("/response_format/json_schema");
        assertThat(sent.path("strict").booleanValue()).isTrue();
        assertThat(sent.at("/schema/required")).isEqualTo(Json.parse("[\"summary\", \"note\", \"tags\"]"));
        assertThat(sent.at("/schema/properties/note")).isEqualTo(Json.parse("{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}"));
        assertThat(sent.at("/schema/properties/tags/anyOf/0/items/required")).isEqualTo(Json.parse("[\"name\", \"weight\"]"));
        assertThat(sent.at("/schema/properties/tags/anyOf/0/items/additionalProperties").booleanValue()).isFalse();
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.strictSchema()).isTrue();
            JsonNode answer = Json.parse(s.content());
            // weight, a number the script answered with null, was optional: it is taken out, and the answer fits the original schema.
            assertThat(answer.path("tags").get(0).has("weight")).isFalse();
            assertThat(answer.path("tags").get(0).path("name").isString()).isTrue();
            assertThat(new OutputContract(JsonSchema.compile(schema)).check(s.content(), Json.object())).isInstanceOf(OutputContract.Check.Valid.class);
        });
    }

    @Test
    void aSchemaWithoutAStrictFormGoesAsWrittenWithoutStrictMode() throws Exception {
        JsonNode schema = Json.parse("""
                {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}},
                 "allOf": [{"required": ["summary"]}]}
                """);
        ProviderOutcome outcome = provider("", "max_tokens").call(new ModelRequest("gpt-4o-mini", List.of(Message.user("<doc>Text.</doc>")), schema, "s", 50,
                Duration.ofSeconds(2), Map.of()));
        JsonNode sent = fake.requests().getFirst().body().at("/response_format/json_schema");
        assertThat(sent.path("strict").booleanValue()).isFalse();
        assertThat(sent.path("schema")).isEqualTo(schema);
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.strictSchema()).isFalse());
    }

    @Test
    void oddTokenCountsArePassedOnAsReportedOrAsUnreported() throws Exception {
        assertThat(call(Fault.negativeUsage())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(-17);
            assertThat(s.outputTokens()).isEqualTo(-3);
        });
        assertThat(call(Fault.absurdUsage())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(Long.MAX_VALUE);
            assertThat(s.outputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
        });
        assertThat(call(Fault.ok().usage("\"NaN\"", "12.5"))).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
            assertThat(s.outputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
        });
        assertThat(call(Fault.ok().usage(null, "1e2"))).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.inputTokens()).isEqualTo(ProviderOutcome.Success.UNREPORTED);
            assertThat(s.outputTokens()).as("1e2 is the whole number 100").isEqualTo(100);
        });
    }

    @Test
    void aRefusalBesideContentIsARefusal() throws Exception {
        assertThat(call(Fault.refusalWithContent())).isInstanceOfSatisfying(ProviderOutcome.Refused.class,
                r -> assertThat(r.detail()).isEqualTo("I can't help with that request."));
    }

    @Test
    void emptyChoicesAreTransient() throws Exception {
        assertThat(call(Fault.emptyChoices())).isInstanceOfSatisfying(ProviderOutcome.Transient.class,
                t -> assertThat(t.detail()).startsWith("response has no choices[0].message"));
    }

    @Test
    void anAnswerCutOffAtTheTokenLimitIsPassedOnForTheContractToJudge() throws Exception {
        assertThat(call(Fault.cutOff())).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.content()).startsWith("{\"category\":");
            assertThat(new OutputContract(JsonSchema.compile(SCHEMA)).check(s.content(), Json.object())).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                    i -> assertThat(i.violations().getFirst().message()).startsWith("output is not valid JSON"));
        });
    }

    @Test
    void openAiStyleTokenFieldAndNoKeyMeansNoAuthorizationHeader() throws Exception {
        provider("", "max_completion_tokens").call(request(Duration.ofSeconds(2)));
        RecordedRequest r = fake.requests().getFirst();
        assertThat(r.headers()).doesNotContainKey("authorization");
        assertThat(r.body().get("max_completion_tokens").intValue()).isEqualTo(300);
        assertThat(r.body().has("max_tokens")).isFalse();
    }

    @Test
    void endpointAppendsChatCompletionsToTheBaseUrl() {
        assertThat(new OpenAiChatProvider(new OpenAiChatProvider.Config("x", URI.create("http://h:1/v1/"), "", Duration.ofSeconds(1), "max_tokens")).endpoint())
                .isEqualTo(URI.create("http://h:1/v1/chat/completions"));
        assertThatThrownBy(() -> new OpenAiChatProvider.Config("x", URI.create("http://h:1/v1"), "", Duration.ofSeconds(1), "max_output_tokens"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_output_tokens");
    }

    @Test
    void rateLimitHeadersOfEveryBudgetAreReadFromAnAnswerAndFromA429() throws Exception {
        Fault.RateLimits budgets = new Fault.RateLimits(500, 0, Duration.ofMinutes(6), 40_000, 39_250, Duration.ofMillis(20));
        ProviderOutcome answer = call(Fault.ok().rateLimits(budgets));
        assertThat(answer).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            // The fake writes OpenAI's own forms: 6m0s and 20ms.
            assertThat(s.rateLimits().budgets()).containsExactly(
                    new RateLimits.Budget("requests", 500, 0, Duration.ofMinutes(6)),
                    new RateLimits.Budget("tokens", 40_000, 39_250, Duration.ofMillis(20)));
            assertThat(s.budgetExhaustedFor()).isEqualTo(Duration.ofMinutes(6));
        });
        assertThat(fake.requests().getLast().answeredWith()).isEqualTo(Fault.Kind.OK);
        ProviderOutcome limited = call(Fault.status(429).retryAfter(Duration.ofSeconds(2)).rateLimits(budgets));
        assertThat(limited).isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
            assertThat(r.retryAfter()).contains(Duration.ofSeconds(2));
            assertThat(r.rateLimits().budgets()).extracting(RateLimits.Budget::name).containsExactly("requests", "tokens");
        });
        ProviderOutcome busy = call(Fault.status(503).rateLimits(budgets));
        assertThat(busy).isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.rateLimits().budgets()).hasSize(2));
    }

    @Test
    void malformedRateLimitHeadersAreIgnoredNeverThrown() throws Exception {
        ProviderOutcome outcome = call(Fault.ok().headers(Map.of(
                "x-ratelimit-limit-requests", "-5",
                "x-ratelimit-remaining-requests", "zero",
                "x-ratelimit-reset-requests", "soon",
                "x-ratelimit-limit-tokens", "1e6",
                "x-ratelimit-remaining-tokens", "99999999999999999999999",
                "x-ratelimit-reset-tokens", "")));
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            assertThat(s.rateLimits()).isEqualTo(RateLimits.NONE);
            assertThat(s.budgetExhaustedFor()).isNull();
        });
        // A reset too long to count in milliseconds reads as the longest wait, not as an overflow.
        ProviderOutcome absurd = call(Fault.status(429).headers(Map.of("x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "99999999999999999999999999h")));
        assertThat(absurd).isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
            assertThat(r.retryAfter()).contains(Duration.ofDays(1));
            assertThat(r.rateLimits().budgets()).containsExactly(new RateLimits.Budget("requests", RateLimits.Budget.UNREPORTED, 0, Duration.ofDays(1)));
        });
    }
}
