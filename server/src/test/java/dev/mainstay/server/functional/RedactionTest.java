package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Redaction before egress and scoped context, end to end: real jobs over real HTTP against the
 * testkit fake provider, which answers with the sentences of the prompt it received (so a
 * placeholder it was sent comes back in its answer, as a model would copy it through).
 */
class RedactionTest {
    /** One sample per line, each line a sentence of its own; the values the detectors must find. */
    private static final List<String[]> CORPUS = List.of(
            new String[] {"Write to alice.smith+tag@example.co.uk today", "alice.smith+tag@example.co.uk"},
            new String[] {"Call +44 20 7946 0958 after lunch", "+44 20 7946 0958"},
            new String[] {"Card 4111 1111 1111 1111 expires soon", "4111 1111 1111 1111"},
            new String[] {"Refund to GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"},
            new String[] {"SSN 123-45-6789 was given", "123-45-6789"},
            new String[] {"Hosts 192.168.10.25 and 2001:db8::8a2e:370:7334 failed", "192.168.10.25"},
            new String[] {"Also 2001:db8::8a2e:370:7334 again", "2001:db8::8a2e:370:7334"},
            new String[] {"Key sk-proj-abcDEF1234567890ghijKLMNopqr leaked", "sk-proj-abcDEF1234567890ghijKLMNopqr"},
            new String[] {"Token ghp_abcdefghijklmnopqrstuvwxyz0123456789 too", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
            new String[] {"Cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c expired",
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"});

    @TempDir
    Path dir;

    @Test
    void tokenizedValuesNeverReachTheProviderAndComeBackExactlyInTheResult() throws Exception {
        // The first call fails: the retry redacts afresh and must restore just the same.
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.status(500)))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow("tokenize", "redact: { kinds: [email, phone, card, iban, ssn, ip, secret], mode: tokenize }\n", "");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                List<String> lines = CORPUS.stream().map(s -> s[0]).toList();
                String id = submit(node, "test/tokenize", Json.object().put("text", String.join("\n", lines)));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                List<String> result = new ArrayList<>();
                job.path("result").path("lines").values().forEach(v -> result.add(v.asString()));
                assertThat(result).containsExactlyElementsOf(lines);

                List<RecordedRequest> sent = requestsOf(fake, id);
                assertThat(sent).hasSize(2);
                for (RecordedRequest r : sent) {
                    String body = Json.write(r.body());
                    for (String[] sample : CORPUS) {
                        assertThat(body).doesNotContain(sample[1]);
                    }
                    assertThat(body).contains("[[EMAIL_1]]", "[[PHONE_1]]", "[[CARD_1]]", "[[IBAN_1]]", "[[SSN_1]]", "[[IP_1]]", "[[IP_2]]", "[[SECRET_3]]");
                }
                // Deterministic placeholders: the retry sent exactly what the first attempt sent.
                assertThat(Json.write(sent.get(1).body().path("messages"))).isEqualTo(Json.write(sent.get(0).body().path("messages")));

                JsonNode redaction = job.path("stages").get(0).path("provenance").path("redaction");
                assertThat(redaction.path("tokenize")).isEqualTo(Json.parse(
                        "{\"secret\": 3, \"card\": 1, \"iban\": 1, \"ssn\": 1, \"ip\": 3, \"email\": 1, \"phone\": 1}"));
                assertThat(redaction.path("mask").isEmpty()).isTrue();
                assertThat(redaction.path("block").isEmpty()).isTrue();
                assertThat(redaction.path("not_redacted").isEmpty()).isTrue();
                assertThat(job.path("provenance").path("redaction")).isEqualTo(redaction);
                assertThat(job.toString()).doesNotContain("[[");
            }
        }
    }

    @Test
    void theRepairRequestIsRedactedTooAndTheRepairedAnswerIsRestored() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.invalidOutput()))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow("tokenize", "redact: { default: tokenize }\n", "");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                List<String> lines = CORPUS.stream().map(s -> s[0]).toList();
                String id = submit(node, "test/tokenize", Json.object().put("text", String.join("\n", lines)));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                assertThat(job.path("stages").get(0).path("provenance").path("validation").asString()).isEqualTo("repaired");
                List<String> result = new ArrayList<>();
                job.path("result").path("lines").values().forEach(v -> result.add(v.asString()));
                assertThat(result).containsExactlyElementsOf(lines);
                List<RecordedRequest> sent = requestsOf(fake, id);
                assertThat(sent).hasSize(2);
                assertThat(sent.get(1).body().path("messages")).hasSize(4);
                for (RecordedRequest r : sent) {
                    for (String[] sample : CORPUS) {
                        assertThat(Json.write(r.body())).doesNotContain(sample[1]);
                    }
                }
            }
        }
    }

    @Test
    void aBlockedCategoryFailsTheJobWithRedactionBlockedAndNothingIsSent() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow("block", "redact: { kinds: [email], mode: tokenize, secret: block }\n", "");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                String secret = "sk-proj-abcDEF1234567890ghijKLMNopqr";
                String id = submit(node, "test/block", Json.object().put("text", "Mail bob@example.com\nMy key is " + secret + " here"));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("failed");
                assertThat(job.path("error").path("code").asString()).isEqualTo("redaction_blocked");
                assertThat(job.path("error")).isEqualTo(Json.parse("""
                        {"code": "redaction_blocked", "message": "stage 'echo' was not sent to fake/gpt-4o-mini: its redaction policy blocks secret and the content holds secret: 1 (values not shown)", "retryable": false}
                        """));
                assertThat(job.toString()).doesNotContain(secret);
                assertThat(fake.requestCount()).isZero();
                JsonNode redaction = job.path("stages").get(0).path("provenance").path("redaction");
                assertThat(redaction.path("block")).isEqualTo(Json.parse("{\"secret\": 1}"));
                assertThat(redaction.path("tokenize").isEmpty()).isTrue();
            }
        }
    }

    @Test
    void maskReplacesValuesForGoodAndAStageOverrideChangesOnlyWhatItNames() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow("mask", "redact: { kinds: [email, phone], mode: tokenize }\n", "    redact: { email: mask }\n");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                String id = submit(node, "test/mask", Json.object().put("text", "Mail bob@example.com now\nCall +1 (555) 123-4567 later"));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                assertThat(job.path("result").path("lines").get(0).asString()).isEqualTo("Mail [EMAIL] now");
                assertThat(job.path("result").path("lines").get(1).asString()).isEqualTo("Call +1 (555) 123-4567 later");
                String body = Json.write(requestsOf(fake, id).getFirst().body());
                assertThat(body).doesNotContain("bob@example.com", "123-4567").contains("[EMAIL]", "[[PHONE_1]]");
                JsonNode redaction = job.path("stages").get(0).path("provenance").path("redaction");
                assertThat(redaction.path("mask")).isEqualTo(Json.parse("{\"email\": 1}"));
                assertThat(redaction.path("tokenize")).isEqualTo(Json.parse("{\"phone\": 1}"));
            }
        }
    }

    @Test
    void aProviderThatMayReceiveNoPersonalDataGetsPlaceholdersEvenWhenTheWorkflowRedactsNothing() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(config, Files.readString(config).replace("max_tokens_field: max_tokens\n",
                    "max_tokens_field: max_tokens\n    data_policy: { allow: [ip] }\n"));
            writeWorkflow("plain", "", "");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                String id = submit(node, "test/plain", Json.object().put("text", "Mail bob@example.com now\nHost 10.0.0.7 is down"));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                assertThat(job.path("result").path("lines").get(0).asString()).isEqualTo("Mail bob@example.com now");
                String body = Json.write(requestsOf(fake, id).getFirst().body());
                assertThat(body).doesNotContain("bob@example.com").contains("[[EMAIL_1]]", "10.0.0.7");
                JsonNode redaction = job.path("stages").get(0).path("provenance").path("redaction");
                assertThat(redaction.path("tokenize")).isEqualTo(Json.parse("{\"email\": 1}"));
                assertThat(redaction.path("not_redacted")).isEqualTo(Json.parse("[\"ip\"]"));
            }
        }
    }

    @Test
    void anInputFieldTheContextDoesNotDeclareNeverReachesTheProvider() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/prompts/everything.mustache"), "Summarise.\n<document>\n{{input}}\n</document>\n");
            writeWorkflow("scoped", "context: { input: [text] }\n", "", "everything.mustache");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                String id = submit(node, "test/scoped", Json.object().put("text", "Public words here").put("note", "INTERNAL-ZEBRA-42"));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                String body = Json.write(requestsOf(fake, id).getFirst().body());
                assertThat(body).contains("Public words here").doesNotContain("INTERNAL-ZEBRA-42", "note");
            }
        }
    }

    @Test
    void badRedactionContextAndDataPolicySettingsFailTheStartNamingTheField() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            String good = Files.readString(config);
            Files.writeString(config, good.replace("max_tokens_field: max_tokens\n", "max_tokens_field: max_tokens\n    data_policy: { allow: [emial] }\n"));
            assertThatThrownBy(() -> ServerConfig.load(Optional.of(config), TestNode.env(dir)))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("providers.fake.data_policy.allow[0]").hasMessageContaining("unknown category 'emial'");
            Files.writeString(config, good);

            writeWorkflow("badkind", "redact: { kinds: [email, passport], mode: tokenize }\n", "");
            assertThatThrownBy(() -> TestNode.start(dir, config, Map.of()))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("redact.kinds[1]").hasMessageContaining("unknown category 'passport'");
            Files.delete(dir.resolve("workflows/test/badkind.yaml"));

            writeWorkflow("undeclared", "context: { input: [note] }\n", "");
            assertThatThrownBy(() -> TestNode.start(dir, config, Map.of()))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("undeclared.yaml").hasMessageContaining("input.text")
                    .hasMessageContaining("does not declare");
        }
    }

    @Test
    void theShippedSupportWorkflowTokenizesEmailPhoneAndCardNumbers() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                String body = "My card 4111 1111 1111 1111 was charged twice. Reach me at jane.doe@example.com or +1 (555) 123-4567.";
                String id = submit(node, "support/draft-response", Json.object().set("ticket",
                        Json.object().put("subject", "Double charge").put("body", body).put("customer_name", "Jane")));
                JsonNode job = jobWithStages(node, id);

                assertThat(job.path("status").asString()).isEqualTo("completed");
                List<RecordedRequest> sent = requestsOf(fake, id);
                assertThat(sent).hasSize(2);
                for (RecordedRequest r : sent) {
                    assertThat(Json.write(r.body())).doesNotContain("4111 1111 1111 1111", "jane.doe@example.com", "123-4567")
                            .contains("[[CARD_1]]", "[[EMAIL_1]]", "[[PHONE_1]]");
                }
                assertThat(job.path("result").path("reply").asString()).contains("4111 1111 1111 1111").doesNotContain("[[");
                assertThat(job.path("stages").get(0).path("provenance").path("redaction").path("tokenize"))
                        .isEqualTo(Json.parse("{\"card\": 1, \"email\": 1, \"phone\": 1}"));
                // The draft prompt holds the ticket and the triage summary, which quotes the card again:
                // counts are occurrences sent, not distinct values.
                assertThat(job.path("stages").get(1).path("provenance").path("redaction").path("tokenize"))
                        .isEqualTo(Json.parse("{\"card\": 2, \"email\": 1, \"phone\": 1}"));
            }
        }
    }

    /** A one-stage workflow echoing its text into a list of lines; {@code top} and {@code stage} are extra YAML. */
    private void writeWorkflow(String name, String top, String stage) throws IOException {
        writeWorkflow(name, top, stage, "echo.mustache");
    }

    private void writeWorkflow(String name, String top, String stage, String prompt) throws IOException {
        Files.writeString(dir.resolve("workflows/test/" + name + ".yaml"), """
                workflow: test/%s
                version: 1
                latency: async
                deadline: 60s
                input:
                  type: object
                  required: [text]
                  properties:
                    text: { type: string, minLength: 1 }
                    note: { type: string }
                %sstages:
                  - id: echo
                    model:
                      prompt: prompts/%s
                      route: [primary]
                      timeout: 5s
                    output:
                      schema:
                        type: object
                        required: [lines]
                        properties:
                          lines: { type: array, minItems: %d, maxItems: %d, items: { type: string } }
                    retry: { attempts: 3, backoff: 20ms, max_backoff: 100ms }
                %s""".formatted(name, top, prompt, lines(name), lines(name), stage));
    }

    private static int lines(String workflow) {
        return switch (workflow) {
            case "tokenize" -> CORPUS.size();
            case "block", "mask", "plain" -> 2;
            default -> 1;
        };
    }

    private static String submit(TestNode node, String workflow, JsonNode input) {
        Http.Response r = node.http.post("/v1/" + workflow, TestNode.DEMO_KEY, Json.write(input));
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    private static JsonNode jobWithStages(TestNode node, String id) {
        node.awaitTerminal(id);
        return node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
    }

    private static List<RecordedRequest> requestsOf(FakeProvider fake, String job) {
        return fake.requests().stream().filter(r -> r.job().equals(job)).toList();
    }
}
