package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Every fault kind of the fake provider against one workflow with a two-target route
 * ({@code pair: [fake/model-a, fake/model-b]}), two attempts per target, an output rule, a
 * confidence gate and the ladder {@code [cached, {rules: template-reply}]}. When both targets keep
 * failing, the job ends degraded with the template reply and a path that names each target's
 * failure and each rung; the fake's recorded requests show how many calls each target got. When
 * the fault happens only once, the retry or the repair recovers on the first target. Odd token
 * counts do not stop a job: they are charged at the estimate. Whatever the fault, every call the
 * fake received is in the usage ledger and in the audit log, once.
 */
class FaultMatrixTest {
    private static final String A = "fake/model-a";
    private static final String B = "fake/model-b";
    private static final String CACHED_MISS = "cached: no earlier full result for this input";
    private static final String TEMPLATE_BUILT = "rules:template-reply: built the result without a model";
    private static final String TEMPLATE = "Thanks, {{input.name}}. We are looking into it.";

    // max_chars lets a row make the fake's ordinary answer break a rule; the template reply keeps both rules.
    private static final String MATRIX = """
            workflow: test/matrix
            version: 1
            latency: wait
            deadline: 60s
            input:
              type: object
              required: [text, name]
              properties:
                text: { type: string, minLength: 1 }
                name: { type: string }
                max_chars: { type: integer, default: 10000 }
            stages:
              - id: answer
                model:
                  prompt: prompts/echo.mustache
                  route: [pair]
                  timeout: 1s
                output:
                  schema:
                    type: object
                    required: [summary, confidence]
                    properties:
                      summary: { type: string }
                      confidence: { type: number, minimum: 0, maximum: 1 }
                      priority: { type: integer, minimum: 1, maximum: 5 }
                  rules: ["size(output.summary) >= 3", "size(output.summary) <= input.max_chars"]
                  confidence: { field: confidence, min: 0.5, below: fallback }
                retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
            fallback: [cached, { rules: template-reply, template: "%s" }]
            """.formatted(TEMPLATE);
    // The fake answers confidence 0.86; a gate at 0.9 turns every answer into low confidence.
    private static final String GATED = MATRIX.replace("workflow: test/matrix", "workflow: test/matrix-gated").replace("min: 0.5,", "min: 0.9,");

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> {
        assertThat(GATED).contains("min: 0.9,");
        setup.route("pair", A, B).workflow("test/matrix", MATRIX).workflow("test/matrix-gated", GATED);
    });
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    /** How a fault reaches the job: a scripted fake, or the fake's ordinary answer meeting a strict input or gate. */
    record Row(String name, String workflow, Fault fault, String extraInput) {
        static Row fault(String name, Fault fault) {
            return new Row(name, "test/matrix", fault, "");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> everyTargetKeepsFailing() {
        return Stream.of(
                // row, error code, calls per target, attempts per target, what the stage's error says
                Arguments.of(Row.fault("429 with Retry-After", Fault.status(429).retryAfter(Duration.ofSeconds(1))), "provider_rate_limited", 2, 2,
                        List.of("provider rate limit: HTTP 429: scripted failure with status 429")),
                Arguments.of(Row.fault("500", Fault.status(500)), "provider_unavailable", 2, 2, List.of("provider unavailable: HTTP 500")),
                Arguments.of(Row.fault("503", Fault.status(503)), "provider_unavailable", 2, 2, List.of("provider unavailable: HTTP 503")),
                Arguments.of(Row.fault("529", Fault.status(529)), "provider_unavailable", 2, 2, List.of("provider unavailable: HTTP 529")),
                Arguments.of(Row.fault("hang past the timeout", Fault.hang()), "provider_timeout", 2, 2, List.of("no answer within 1000 ms")),
                Arguments.of(Row.fault("connection reset", Fault.reset()), "provider_unavailable", 2, 2, List.of("provider unavailable: connection to")),
                Arguments.of(Row.fault("malformed JSON body", Fault.malformed()), "provider_unavailable", 2, 2, List.of("response body is not JSON")),
                Arguments.of(Row.fault("empty choices", Fault.emptyChoices()), "provider_unavailable", 2, 2,
                        List.of("provider unavailable: response has no choices[0].message")),
                Arguments.of(Row.fault("refusal", Fault.refusal()), "provider_refused", 1, 1, List.of("the model refused: I can't help with that request.")),
                Arguments.of(Row.fault("refusal beside content", Fault.refusalWithContent()), "provider_refused", 1, 1,
                        List.of("the model refused: I can't help with that request.")),
                // one attempt per target, each a call and its repair
                Arguments.of(Row.fault("schema-invalid output", Fault.invalidOutput()), "invalid_model_output", 2, 1,
                        List.of("after one repair: /summary: required property 'summary' not found")),
                Arguments.of(new Row("rule-violating output", "test/matrix", Fault.ok(), ", \"max_chars\": 40"), "invalid_model_output", 2, 1,
                        List.of("after one repair: /: rule 'size(output.summary) <= input.max_chars' is false")),
                Arguments.of(Row.fault("1e308 in integer and number fields", Fault.ok().numbers("1e308")), "invalid_model_output", 2, 1,
                        List.of("/confidence: must have a maximum value of 1", "/priority: must have a maximum value of 5")),
                Arguments.of(Row.fault("-1e308 in integer and number fields", Fault.ok().numbers("-1e308")), "invalid_model_output", 2, 1,
                        List.of("/confidence: must have a minimum value of 0", "/priority: must have a minimum value of 1")),
                Arguments.of(Row.fault("NaN strings where numbers are expected", Fault.ok().numbers("\"NaN\"")), "invalid_model_output", 2, 1,
                        List.of("/confidence: string found, number expected", "/priority: string found, integer expected")),
                Arguments.of(Row.fault("finish_reason length with partial JSON", Fault.cutOff()), "invalid_model_output", 2, 1,
                        List.of("after one repair: /: output is not valid JSON")),
                // not repaired and not retried
                Arguments.of(new Row("low confidence", "test/matrix-gated", Fault.ok(), ""), "low_confidence", 1, 1,
                        List.of("has confidence 0.86, below the minimum 0.9")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyTargetKeepsFailing")
    void whenBothTargetsKeepFailingTheTemplateReplyAnswersAndThePathNamesEachStep(Row row, String code, int callsPerTarget, int attemptsPerTarget,
                                                                                 List<String> says) {
        fake.script(FaultScript.always(row.fault()));
        JsonNode job = run(row, "Every target fails: " + row.name() + ". The ladder has to answer.");

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("fallback");
        assertThat(job.path("error").isNull()).isTrue();
        assertThat(job.path("result").path("summary").asString()).isEqualTo("Thanks, Ada. We are looking into it.");
        assertThat(job.path("result").path("confidence").asDouble()).isZero();
        assertThat(job.path("provenance").path("provider").asString()).isEqualTo("mainstay");
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("rules:template-reply");
        assertThat(path(job)).containsExactly(
                A + ": " + code + ", switched to " + B,
                B + ": " + code,
                CACHED_MISS,
                TEMPLATE_BUILT);

        JsonNode stage = job.path("stages").get(0);
        assertThat(stage.path("status").asString()).isEqualTo("failed");
        assertThat(stage.path("error").path("code").asString()).isEqualTo(code);
        assertThat(stage.path("error").path("message").asString()).contains(says);
        assertThat(stage.path("attempts").asInt()).as("attempts made, on both targets").isEqualTo(2 * attemptsPerTarget);
        assertThat(eventsOf(job, "degraded")).singleElement()
                .satisfies(e -> assertThat(e.path("data").path("code").asString()).isEqualTo(code));
        assertThat(eventsOf(job, "target_switched")).singleElement()
                .satisfies(e -> assertThat(e.path("data").path("code").asString()).isEqualTo(code));

        List<String> expectedModels = new ArrayList<>();
        for (String model : List.of("model-a", "model-b")) {
            for (int i = 0; i < callsPerTarget; i++) {
                expectedModels.add(model);
            }
        }
        assertThat(modelsCalled(job)).isEqualTo(expectedModels);
        assertEveryCallIsChargedAndAuditedOnce(job);
    }

    static Stream<Arguments> theFaultHappensOnce() {
        return Stream.of(
                Arguments.of(Row.fault("429 with Retry-After", Fault.status(429).retryAfter(Duration.ofSeconds(1))), "provider_rate_limited"),
                Arguments.of(Row.fault("500", Fault.status(500)), "provider_unavailable"),
                Arguments.of(Row.fault("503", Fault.status(503)), "provider_unavailable"),
                Arguments.of(Row.fault("529", Fault.status(529)), "provider_unavailable"),
                Arguments.of(Row.fault("hang past the timeout", Fault.hang()), "provider_timeout"),
                Arguments.of(Row.fault("connection reset", Fault.reset()), "provider_unavailable"),
                Arguments.of(Row.fault("malformed JSON body", Fault.malformed()), "provider_unavailable"),
                Arguments.of(Row.fault("empty choices", Fault.emptyChoices()), "provider_unavailable"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("theFaultHappensOnce")
    void aRetryableFaultThatHappensOnceIsRetriedOnTheFirstTargetAndTheJobCompletes(Row row, String code) {
        fake.script(FaultScript.perJob(row.fault()));
        JsonNode job = run(row, "Fails once: " + row.name() + ". Then the model answers.");

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(path(job)).isEmpty();
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("model-a-fake-0001");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("passed");
        assertThat(job.path("result").path("confidence").asDouble()).isEqualTo(0.86);
        assertThat(job.path("stages").get(0).path("attempts").asInt()).isEqualTo(2);
        assertThat(eventsOf(job, "retry_scheduled")).singleElement()
                .satisfies(e -> assertThat(e.path("data").path("code").asString()).isEqualTo(code));
        assertThat(modelsCalled(job)).containsExactly("model-a", "model-a");
        assertEveryCallIsChargedAndAuditedOnce(job);
        // The schema fits OpenAI's strict subset: it was asked for, and the stage says so.
        assertThat(job.path("stages").get(0).path("provenance").path("strict_schema").asBoolean()).isTrue();
        assertThat(requestsOf(job)).allSatisfy(r -> assertThat(r.body().at("/response_format/json_schema/strict").asBoolean()).isTrue());
    }

    static Stream<Arguments> aBadAnswerOnce() {
        return Stream.of(
                Arguments.of(Row.fault("schema-invalid output", Fault.invalidOutput())),
                Arguments.of(Row.fault("1e308 in integer and number fields", Fault.ok().numbers("1e308"))),
                Arguments.of(Row.fault("-1e308 in integer and number fields", Fault.ok().numbers("-1e308"))),
                Arguments.of(Row.fault("NaN strings where numbers are expected", Fault.ok().numbers("\"NaN\""))),
                Arguments.of(Row.fault("finish_reason length with partial JSON", Fault.cutOff())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aBadAnswerOnce")
    void aBadAnswerThatHappensOnceIsRepairedOnTheFirstTarget(Row row) {
        fake.script(FaultScript.perJob(row.fault()));
        JsonNode job = run(row, "Answers badly once: " + row.name() + ". Then the repair works.");

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("repaired");
        assertThat(job.path("result").path("confidence").asDouble()).isEqualTo(0.86);
        assertThat(job.path("stages").get(0).path("attempts").asInt()).isEqualTo(1);
        assertThat(path(job)).isEmpty();
        assertThat(modelsCalled(job)).containsExactly("model-a", "model-a");
        assertEveryCallIsChargedAndAuditedOnce(job);
    }

    static Stream<Arguments> oddTokenCounts() {
        return Stream.of(
                Arguments.of(Row.fault("negative usage", Fault.negativeUsage()), "prompt tokens -17 and answer tokens -3"),
                Arguments.of(Row.fault("absurd usage", Fault.absurdUsage()), "prompt tokens " + Long.MAX_VALUE + ", more than "),
                Arguments.of(Row.fault("NaN strings as usage", Fault.ok().usage("\"NaN\"", "\"NaN\"")),
                        "prompt tokens missing or not a usable whole number and answer tokens missing or not a usable whole number"),
                Arguments.of(Row.fault("no usage at all", Fault.ok().usage(null, null)),
                        "prompt tokens missing or not a usable whole number and answer tokens missing or not a usable whole number"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oddTokenCounts")
    void oddTokenCountsAreChargedAtTheEstimateAndTheJobCompletes(Row row, String noted) {
        fake.script(FaultScript.always(row.fault()));
        JsonNode job = run(row, "Counts oddly: " + row.name() + ". The answer itself is fine.");

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("passed");
        assertThat(job.path("usage").path("output_tokens").asLong()).as("the stage's max_output_tokens").isEqualTo(1024);
        assertThat(job.path("usage").path("input_tokens").asLong()).isBetween(100L, 10_000L);
        assertThat(modelsCalled(job)).containsExactly("model-a");
        assertEveryCallIsChargedAndAuditedOnce(job);
        assertThat(ProviderOddAnswersTest.modelCalls(node.node(), job)).singleElement().satisfies(c -> {
            assertThat(c.path("usage").asString()).isEqualTo("estimated");
            assertThat(c.path("usage_note").asString()).startsWith("the provider reported " + noted);
            assertThat(c.path("input_tokens").asLong()).isEqualTo(job.path("usage").path("input_tokens").asLong());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("theFaultHappensOnce")
    void aRetryableFaultThatHappensOnceOnTheSecondTargetIsRetriedThere(Row row, String code) {
        // model-a refuses (not retried), model-b fails once and then answers: degraded with a full result.
        fake.script(FaultScript.perJob(Fault.refusal(), row.fault()));
        JsonNode job = run(row, "Refused, then fails once on the second target: " + row.name() + ".");

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(path(job)).containsExactly(A + ": provider_refused, switched to " + B);
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("model-b-fake-0001");
        assertThat(eventsOf(job, "retry_scheduled")).singleElement()
                .satisfies(e -> assertThat(e.path("data").path("code").asString()).isEqualTo(code));
        assertThat(modelsCalled(job)).containsExactly("model-a", "model-b", "model-b");
        // Three attempts were made (one on model-a, two on model-b), not the four slots they span.
        assertThat(job.path("stages").get(0).path("attempts").asInt()).isEqualTo(3);
        assertThat(eventsOf(job, "degraded")).singleElement().satisfies(e -> assertThat(e.path("data").path("attempt").asInt()).isEqualTo(3));
        assertEveryCallIsChargedAndAuditedOnce(job);
    }

    /** Every request the fake got for the job is one ledger row and one {@code model.called} audit record, with the same tokens. */
    private static void assertEveryCallIsChargedAndAuditedOnce(JsonNode job) {
        int calls = requestsOf(job).size();
        List<ProviderOddAnswersTest.LedgerRow> ledger = ProviderOddAnswersTest.ledger(node.node(), job);
        List<JsonNode> audited = ProviderOddAnswersTest.modelCalls(node.node(), job);
        assertThat(ledger).as("ledger rows").hasSize(calls);
        assertThat(audited).as("model.called records").hasSize(calls);
        assertThat(audited.stream().map(c -> c.path("input_tokens").asLong()).sorted().toList())
                .isEqualTo(ledger.stream().map(ProviderOddAnswersTest.LedgerRow::input).sorted().toList());
        assertThat(job.path("usage").path("input_tokens").asLong()).isEqualTo(ledger.stream().mapToLong(ProviderOddAnswersTest.LedgerRow::input).sum());
        assertThat(job.path("usage").path("output_tokens").asLong()).isEqualTo(ledger.stream().mapToLong(ProviderOddAnswersTest.LedgerRow::output).sum());
    }

    private static List<RecordedRequest> requestsOf(JsonNode job) {
        return fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString())).toList();
    }

    private static JsonNode run(Row row, String text) {
        String body = "{\"text\": \"" + text + "\", \"name\": \"Ada\"" + row.extraInput() + "}";
        Http.Response r = node.http.post("/v1/" + row.workflow(), KEY, body, "Prefer", "wait=30");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    private static List<String> path(JsonNode job) {
        return job.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList();
    }

    private static List<String> modelsCalled(JsonNode job) {
        return fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString()))
                .map(RecordedRequest::body).map(b -> b.path("model").asString()).toList();
    }

    private static List<JsonNode> eventsOf(JsonNode job, String type) {
        JsonNode events = node.http.get("/v1/jobs/" + job.path("id").asString() + "/events", KEY).json().path("events");
        return events.values().stream().filter(e -> e.path("type").asString().equals(type)).toList();
    }
}
