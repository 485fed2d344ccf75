package dev.mainstay.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import dev.mainstay.provider.Message;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Prompt token counts for the budget reservation: exact for OpenAI-family models, high for the rest. */
class TokenEstimatorTest {
    private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final Encoding CL100K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    /** Three for the reply, four per message. */
    private static final long OVERHEAD_ONE_MESSAGE = 3 + 4;

    private final TokenEstimator estimator = new TokenEstimator();

    private long one(String model, String text) {
        return estimator.estimate(model, List.of(Message.user(text)), null);
    }

    @Test
    void handCountedExamples() {
        // "Hello, world!" is Hello | , | world | ! in both tokenizers.
        assertThat(one("gpt-4o-mini", "Hello, world!")).isEqualTo(OVERHEAD_ONE_MESSAGE + 4);
        assertThat(one("gpt-4", "Hello, world!")).isEqualTo(OVERHEAD_ONE_MESSAGE + 4);
        // o200k has whole tokens for 你好 and 世界 where cl100k splits them into bytes: 3 against 6.
        assertThat(one("gpt-4o", "你好，世界")).isEqualTo(OVERHEAD_ONE_MESSAGE + 3);
        assertThat(one("gpt-3.5-turbo", "你好，世界")).isEqualTo(OVERHEAD_ONE_MESSAGE + 6);
        // An unknown model: Hello (2) , (1) world (2) ! (1): words by three characters, symbols one each.
        assertThat(one("claude-sonnet-4-5", "Hello, world!")).isEqualTo(OVERHEAD_ONE_MESSAGE + 6);
    }

    private static final String TEXT = "My printer has been printing blank pages since the update on Tuesday. "
            + "I already reinstalled the driver twice. Привет! Can you help? 🙏 Order #A-10293.";

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "chatgpt-4o-latest", "gpt-4.1", "gpt-4.1-nano", "gpt-5", "gpt-5-mini",
            "o1", "o3-mini", "o4-mini", "openai/gpt-4o-mini", "azure/GPT-4o"})
    void theGpt4oFamilyAndLaterAreCountedWithO200k(String model) {
        assertThat(one(model, TEXT)).isEqualTo(OVERHEAD_ONE_MESSAGE + O200K.countTokensOrdinary(TEXT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4", "gpt-4-turbo", "gpt-4-0613", "gpt-3.5-turbo", "openai/gpt-3.5-turbo-0125"})
    void gpt4AndGpt35AreCountedWithCl100k(String model) {
        assertThat(one(model, TEXT)).isEqualTo(OVERHEAD_ONE_MESSAGE + CL100K.countTokensOrdinary(TEXT));
    }

    @Test
    void theTwoTokenizersReallyDifferOnTheSample() {
        assertThat(O200K.countTokensOrdinary(TEXT)).isNotEqualTo(CL100K.countTokensOrdinary(TEXT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "anthropic/claude-haiku-4-5", "llama3.1", "qwen2.5", "mistral-large", "gemini-2.5-pro", "fake-model"})
    void otherModelsAreEstimatedConservativelyNotWithAnOpenAiTokenizer(String model) {
        assertThat(one(model, TEXT)).isEqualTo(OVERHEAD_ONE_MESSAGE + TokenEstimator.conservative(TEXT));
        assertThat(TokenEstimator.conservative(TEXT)).isGreaterThanOrEqualTo(O200K.countTokensOrdinary(TEXT));
    }

    @Test
    void theConservativeCountGivesEveryWordAndSymbolAtLeastOneToken() {
        // "A a a." is four o200k tokens; one per three characters would say two.
        assertThat(TokenEstimator.conservative("A a a.")).isEqualTo(4);
        assertThat(TokenEstimator.conservative("internationalization")).isEqualTo(7);
        assertThat(TokenEstimator.conservative("OK.")).isGreaterThanOrEqualTo(O200K.countTokensOrdinary("OK."));
    }

    @Test
    void eachMessageAddsFourAndTheReplyThree() {
        assertThat(estimator.estimate("gpt-4o", List.of(), null)).isEqualTo(3);
        assertThat(estimator.estimate("gpt-4o", List.of(Message.user("")), null)).isEqualTo(3 + 4);
        assertThat(estimator.estimate("unknown", List.of(Message.system(""), Message.user(""), Message.assistant("")), "")).isEqualTo(3 + 3 * 4);
        List<Message> chat = List.of(Message.system("You draft support replies."), Message.user("Hello, world!"), Message.assistant("Hi!"));
        long content = chat.stream().mapToLong(m -> O200K.countTokensOrdinary(m.content())).sum();
        assertThat(estimator.estimate("gpt-4o-mini", chat, null)).isEqualTo(3 + 3 * 4 + content);
    }

    @Test
    void extraTextIsCountedWithoutMessageOverhead() {
        String schema = "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}}}";
        assertThat(estimator.estimate("gpt-4o", List.of(Message.user("Hello, world!")), schema))
                .isEqualTo(OVERHEAD_ONE_MESSAGE + 4 + O200K.countTokensOrdinary(schema));
        assertThat(estimator.estimate("llama3.1", List.of(), "abcd")).isEqualTo(3 + 2);
    }

    @Test
    void specialTokenTextIsCountedAsOrdinaryText() {
        // A prompt may contain the text of a special token; it is sent as text and must not throw.
        String text = "ignore this <|endoftext|> marker";
        assertThat(one("gpt-4o", text)).isEqualTo(OVERHEAD_ONE_MESSAGE + O200K.countTokensOrdinary(text));
    }

    // ---- the conservative estimate errs high for English text ------------------------------------

    private static final List<String> PROSE = List.of(
            "Thank you for contacting support. I am sorry to hear that your order arrived damaged; we will send a replacement today.",
            "The quick brown fox jumps over the lazy dog.",
            "Please summarise the following meeting notes in three bullet points, keeping the action items and their owners.",
            "Our quarterly revenue grew by twelve percent, driven mostly by new enterprise customers in Europe and North America.",
            "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
            "Classify this ticket as billing, technical or account, and explain your choice in one sentence.",
            "I tried restarting the router twice, but the connection still drops every few minutes, especially in the evening.",
            "Dear Ms. Smith, further to our call on Monday, I attach the signed contract and the updated delivery schedule.",
            "Hi there, how are you?");

    @Test
    void oneTokenPerThreeCharactersIsAtLeastTheO200kCountForEnglishProse() {
        for (String text : PROSE) {
            assertThat(TokenEstimator.conservative(text)).as(text).isGreaterThanOrEqualTo(O200K.countTokensOrdinary(text));
            assertThat(TokenEstimator.conservative(text)).as(text).isGreaterThanOrEqualTo(CL100K.countTokensOrdinary(text));
        }
    }

    private static final List<String> WORDS = List.of("the", "customer", "order", "was", "delivered", "late", "and", "support", "replied", "quickly",
            "with", "a", "refund", "for", "their", "account", "because", "payment", "failed", "twice", "please", "check", "invoice", "number",
            "we", "are", "sorry", "about", "this", "problem", "today", "tomorrow", "morning", "update", "driver", "printer", "network");

    private static String englishSentence(SeededRandom random) {
        String s = String.join(" ", random.list(3, 80, r -> r.pick(WORDS)));
        return Character.toUpperCase(s.charAt(0)) + s.substring(1) + ".";
    }

    @Property
    void theConservativeEstimateErrsHighForEnglishSentences(SeededRandom random) {
        String text = random.draw("text", TokenEstimatorTest::englishSentence);
        assertThat(TokenEstimator.conservative(text)).isGreaterThanOrEqualTo(O200K.countTokensOrdinary(text));
        assertThat(one("some-local-model", text)).isGreaterThanOrEqualTo(one("gpt-4o", text));
    }

    @Test
    void conservativeRoundsUp() {
        assertThat(TokenEstimator.conservative("")).isZero();
        assertThat(TokenEstimator.conservative("a")).isEqualTo(1);
        assertThat(TokenEstimator.conservative("abc")).isEqualTo(1);
        assertThat(TokenEstimator.conservative("abcd")).isEqualTo(2);
    }

    /** What the conservative count was first written as; the one-pass count must agree with it on every string. */
    private static final java.util.regex.Pattern PIECE = java.util.regex.Pattern.compile("[\\p{L}\\p{N}]+|[^\\p{L}\\p{N}\\s]");

    private static long byRegex(String text) {
        long total = 0;
        var m = PIECE.matcher(text);
        while (m.find()) {
            total += (m.end() - m.start() + 2) / 3;
        }
        return total;
    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 0x5eedL, 0x2026_1203L})
    void theOnePassCountAgreesWithTheRegexOnAnyString(long seed) {
        SeededRandom random = new SeededRandom(seed);
        for (int i = 0; i < 2_000; i++) {
            String text = switch (random.nextInt(3)) {
                case 0 -> random.anyString(0, 200);
                case 1 -> englishSentence(random);
                // white space inside and outside \s, numbers of every kind, a letter and a symbol beyond the BMP, a lone surrogate
                default -> random.string(0, 60, " \t\n\u000b\f\r\u00a0\u2003.,!?-_Aa9\u0661\u2167\u00bd\u00e9\u4f60\ud83d\ude4f\ud835\udc00") + (random.nextBoolean() ? "\ud800" : "");
            };
            assertThat(TokenEstimator.conservative(text)).as("seed %d, case %d: %s", seed, i, text).isEqualTo(byRegex(text));
        }
    }

    @Test
    void theOnePassCountAgreesWithTheRegexOnTheSamples() {
        for (String text : PROSE) {
            assertThat(TokenEstimator.conservative(text)).as(text).isEqualTo(byRegex(text));
        }
        assertThat(TokenEstimator.conservative(TEXT)).isEqualTo(byRegex(TEXT));
    }
}
