package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A corpus of personal data in the forms real text holds, run through the shipped
 * {@code support/draft-response} workflow ({@code redact: {kinds: [email, phone, card], mode:
 * tokenize}}) over real HTTP against the testkit fake provider: neither stage's request holds a
 * value, in any writing of its digits or its name, and the result holds every value exactly as
 * it was written. The fake answers with the sentences of the prompt it got, so the triage
 * summary carries each placeholder back, Mainstay restores it into the stage's output, and the
 * draft stage's prompt holds the value again: the path by which a restored value once reached the
 * provider in the clear.
 */
class PiiCorpusTest {
    private enum Kind { EMAIL, PHONE, CARD }

    /** Every sample with its kind: the unusual forms first, then the valid samples of core's detector corpus for these kinds. */
    private static final Map<String, Kind> CORPUS = corpus();

    private static Map<String, Kind> corpus() {
        Map<String, Kind> out = new LinkedHashMap<>();
        put(out, Kind.CARD,
                "4111\u00A01111\u00A01111\u00A01111", "5500\u202F0000\u202F0000\u202F0004", "4111\u20091111\u20091111\u20091111",
                "3782\u2007822463\u200710005", "4111\u30001111\u30001111\u30001111", "4111\u20131111\u20131111\u20131111",
                "5105\u20141051\u20140510\u20145100", "4111\u22121111\u22121111\u22121111", "6011\u20110009\u20119013\u20119424",
                "4111\u200B1111\u200B1111\u200B1111", "4111\u00AD1111\u00AD1111\u00AD1111",
                "\uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11",
                "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661",
                "\u0664\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661",
                "\u06F4\u06F0\u06F1\u06F2 \u06F8\u06F8\u06F8\u06F8 \u06F8\u06F8\u06F8\u06F8 \u06F1\u06F8\u06F8\u06F1",
                "\u096A\u0966\u0967\u0968\u096E\u096E\u096E\u096E\u096E\u096E\u096E\u096E\u0967\u096E\u096E\u0967",
                "card4012888888881881end", "number4111 1111 1111 1111please");
        put(out, Kind.PHONE,
                "+1\u00A0415\u00A0555\u00A00188", "+44\u202F20\u202F7946\u202F0958", "(415)\u00A0555\u20130188", "415\u2011555\u20110188",
                "+\u0661 \u0664\u0661\u0665 \u0665\u0665\u0665 \u0660\u0661\u0668\u0668",
                "\uFF0B\uFF11 \uFF14\uFF11\uFF15 \uFF15\uFF15\uFF15 \uFF10\uFF11\uFF18\uFF18",
                "\uFF08\uFF14\uFF11\uFF15\uFF09 \uFF15\uFF15\uFF15\uFF0D\uFF10\uFF11\uFF18\uFF18",
                "+49 (0)30 / 123 456 78", "+1 - 415 - 555 - 0188", "+44 (0) 20-7946-0958",
                "phone+14155550188x", "tel:4155550123", "phone4155550123now", "call(415) 555-0188today", "Tel020 7946 0958");
        put(out, Kind.EMAIL,
                "o'neil@example.com", "o\u2019neil@example.com", "caf\u00E9.owner@example.com", "cafe\u0301.owner@example.com",
                "d'angelo.ma\u00EEtre@example.fr", "\u7528\u6237@\u4F8B\u5B50.\u5E7F\u544A",
                "\u0438\u0432\u0430\u043D@\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444", "user@b\u00FCcher.de",
                "\u0905\u091C\u092F@\u0921\u093E\u091F\u093E.\u092D\u093E\u0930\u0924", "alice@example.xn--p1ai",
                "\uFF41\uFF4C\uFF49\uFF43\uFF45\uFF20\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF43\uFF4F\uFF4D",
                "emailalice@example.comThanks");
        // The valid samples of core's DetectorCorpusTest for the workflow's three kinds.
        put(out, Kind.EMAIL, "alice@example.com", "alice.smith+tag@example.co.uk", "first_last%x@sub.domain.org", "x@y.io",
                "UPPER.Case@Example.COM", "user-name@my-domain.travel", "12345@numbers.net", "a.b.c.d@mail.server.example.museum");
        put(out, Kind.PHONE, "+44 20 7946 0958", "+1 (555) 123-4567", "+1-800-555-0199", "+4915112345678", "+33 6 12 34 56 78",
                "+91 98765 43210", "+81 3-1234-5678", "+44 (0)20 7946 0958", "+86 138 0013 8000", "+353 1 234 5678", "+1.555.123.4567",
                "(555) 123-4567", "555-123-4567", "555.123.4567", "555 123 4567", "1-800-555-0199", "1 (800) 555-0199", "020 7946 0958",
                "06 12 34 56 78", "030/1234567", "030 123456", "(02) 9876 5432", "0412 345 678", "07700 900123", "0151 12345678", "089-1234567");
        put(out, Kind.CARD, "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5500 0000 0000 0004", "5555555555554444",
                "2223003122003222", "378282246310005", "3782 822463 10005", "371449635398431", "6011111111111117", "6011 0009 9013 9424",
                "3530111333300000", "30569309025904", "36227206271667", "4222222222222", "4111111111119", "6250941006528599",
                "5105-1051-0510-5100", "6759649826438453", "6011000000000000001");
        return out;
    }

    private static final Pattern TOKEN = Pattern.compile("\\[\\[[A-Z]+_\\d+]]");

    @TempDir
    Path dir;

    @Test
    void noValueReachesTheProviderInEitherStageAndTheResultHoldsEveryValueExactly() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.start(dir, TestNode.writeFiles(dir, fake, "10s", "1s"), Map.of())) {
            Map<String, String> jobs = new LinkedHashMap<>();
            for (String sample : CORPUS.keySet()) {
                jobs.put(sample, submit(node, Json.object().set("ticket", Json.object().put("subject", "Help").put("body", body(sample)))));
            }
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, String> e : jobs.entrySet()) {
                String sample = e.getKey();
                JsonNode job = node.awaitTerminal(e.getValue());
                String label = CORPUS.get(sample) + " " + escape(sample) + " (" + e.getValue() + ")";
                if (!job.path("status").asString().equals("completed")) {
                    problems.add(label + ": ended " + job.path("status").asString() + " " + job.path("error"));
                    continue;
                }
                List<RecordedRequest> sent = requestsOf(fake, e.getValue());
                if (sent.size() != 2) {
                    problems.add(label + ": " + sent.size() + " requests, expected one per stage");
                    continue;
                }
                for (RecordedRequest r : sent) {
                    String leak = leak(sample, CORPUS.get(sample), contents(r));
                    if (leak != null) {
                        problems.add(label + ": stage " + r.stage() + " was sent " + leak);
                    }
                }
                // The triage stage's output held the value restored; the draft prompt shows it
                // (in the summary) under the very placeholder the triage prompt used.
                String triageBody = ticketOf(contents(sent.get(0)));
                String draft = contents(sent.get(1));
                if (!TOKEN.matcher(triageBody).find() || !draft.contains("Help " + triageBody) || !draft.contains("<ticket>\n" + triageBody + "\n</ticket>")) {
                    problems.add(label + ": the draft prompt does not show the triage's placeholders: " + escape(draft));
                }
                String reply = job.path("result").path("reply").asString();
                if (!reply.equals(body(sample) + " " + body(sample))) {
                    problems.add(label + ": the reply is not restored exactly: " + escape(reply));
                }
            }
            assertThat(problems).as("%d samples", CORPUS.size()).isEmpty();
        }
    }

    @Test
    void aValueKeepsItsPlaceholderInEveryStageAndAfterARestart() throws Exception {
        // Triage answers; the draft's first call fails, the node stops, and a new node on the same
        // database runs the draft again from the job's durable state.
        try (FakeProvider fake = FakeProvider.start(FaultScript.perJob(Fault.ok(), Fault.status(503)))) {
            Path config = TestNode.writeFiles(dir, fake, "10s", "1s");
            JsonNode input = Json.object().set("ticket", Json.object().put("subject", "Refund")
                    .put("body", "I am Jane Doe, jane@example.com, card 4111 1111 1111 1111.")
                    .put("customer_name", "Jane <j.doe@example.org>"));
            String id;
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                id = submit(node, input);
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> requestsOf(fake, id).size() >= 2
                        && node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json().path("status").asString().equals("retrying"));
            }
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                JsonNode job = node.awaitTerminal(id);
                assertThat(job.path("status").asString()).isEqualTo("completed");
                List<RecordedRequest> sent = requestsOf(fake, id);
                assertThat(sent).extracting(RecordedRequest::stage).containsExactly("triage", "draft", "draft");
                assertThat(ticketOf(contents(sent.get(0)))).isEqualTo("I am Jane Doe, [[EMAIL_1]], card [[CARD_1]].");
                // The draft prompt names the customer before the ticket: numbered by that prompt
                // alone, j.doe would be EMAIL_1. The job's vault keeps jane EMAIL_1 everywhere.
                for (RecordedRequest draft : sent.subList(1, 3)) {
                    String text = contents(draft);
                    assertThat(text).contains("customer Jane <[[EMAIL_2]]>.", "<ticket>\nI am Jane Doe, [[EMAIL_1]], card [[CARD_1]].\n</ticket>")
                            .doesNotContain("jane@example.com", "j.doe", "4111");
                }
                assertThat(Json.write(sent.get(2).body().path("messages"))).as("the resumed attempt sends what the first sent")
                        .isEqualTo(Json.write(sent.get(1).body().path("messages")));
                assertThat(job.path("result").path("reply").asString())
                        .isEqualTo("I am Jane Doe, jane@example.com, card 4111 1111 1111 1111. I am Jane Doe, jane@example.com, card 4111 1111 1111 1111.");
            }
        }
    }

    private static String body(String sample) {
        return "Reach me at " + sample + " please.";
    }

    private static String submit(TestNode node, JsonNode input) {
        Http.Response r = node.http.post("/v1/support/draft-response", TestNode.DEMO_KEY, Json.write(input));
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    private static List<RecordedRequest> requestsOf(FakeProvider fake, String job) {
        return fake.requests().stream().filter(r -> r.job().equals(job)).toList();
    }

    /** Every message's content of one request, one after the other. */
    private static String contents(RecordedRequest r) {
        StringBuilder out = new StringBuilder();
        r.body().path("messages").values().forEach(m -> out.append(m.path("content").asString()).append('\n'));
        return out.toString();
    }

    /** The text between the last {@code <ticket>} tags of a prompt. */
    private static String ticketOf(String prompt) {
        Matcher m = Pattern.compile("<ticket>\n(.*?)\n</ticket>", Pattern.DOTALL).matcher(prompt);
        String last = "";
        while (m.find()) {
            last = m.group(1);
        }
        return last;
    }

    /**
     * What of {@code sample} the provider got in {@code sent}, or null: the value as written, or
     * as it reads normalised; for a card or phone its digits however they are separated or
     * written (the last seven, so a national form of an international number counts too); for an
     * email its local part, the person's name.
     */
    private static String leak(String sample, Kind kind, String sent) {
        if (sent.contains(sample)) {
            return "the value as written";
        }
        String text = fold(sent);
        return switch (kind) {
            case CARD, PHONE -> {
                String digits = digits(sample);
                String tail = digits.substring(Math.max(0, digits.length() - (kind == Kind.CARD ? digits.length() : 7)));
                for (String run : digitRuns(sent)) {
                    if (run.contains(tail)) {
                        yield "its digits " + tail;
                    }
                }
                yield null;
            }
            case EMAIL -> {
                String address = fold(sample);
                int at = address.indexOf('@');
                String local = address.substring(0, at);
                // Glued text before an address is taken with it; the name is what follows "email".
                String name = local.startsWith("email") ? local.substring(5) : local;
                if (text.contains(address.substring(at - Math.min(at, name.length())))) {
                    yield "the address";
                }
                yield name.length() >= 3 && text.contains(name) ? "the name " + name : null;
            }
        };
    }

    /** NFKC and lower case: how an address reads however it was written. */
    private static String fold(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    }

    private static String digits(String text) {
        StringBuilder out = new StringBuilder();
        Normalizer.normalize(text, Normalizer.Form.NFKC).codePoints().filter(c -> Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER)
                .forEach(c -> out.append((char) ('0' + Character.digit(c, 10))));
        return out.toString();
    }

    /**
     * The digits of every run of digits and separators (spaces, dashes, dots, slashes,
     * parentheses, plus signs, invisible characters) in {@code text}, in ASCII.
     */
    private static List<String> digitRuns(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        Normalizer.normalize(text, Normalizer.Form.NFKC).codePoints().forEach(c -> {
            int type = Character.getType(c);
            if (type == Character.DECIMAL_DIGIT_NUMBER) {
                run.append((char) ('0' + Character.digit(c, 10)));
            } else if (!(type == Character.SPACE_SEPARATOR || type == Character.DASH_PUNCTUATION || type == Character.FORMAT
                    || ".()+/\u2212".indexOf(c) >= 0)) {
                if (!run.isEmpty()) {
                    out.add(run.toString());
                    run.setLength(0);
                }
            }
        });
        out.add(run.toString());
        return out;
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\u{%04X}", c)));
        return out.toString();
    }

    private static void put(Map<String, Kind> out, Kind kind, String... samples) {
        for (String s : samples) {
            out.put(s, kind);
        }
    }
}
