package dev.mainstay.usage;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.mainstay.provider.Message;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Counts a prompt's tokens before it is sent, for the budget reservation. OpenAI-family models are
 * counted exactly with their tokenizer ({@code o200k_base} for the GPT-4o, GPT-4.1, GPT-5 and o
 * series, {@code cl100k_base} for GPT-4 and GPT-3.5), plus the chat format's overhead of four
 * tokens per message and three for the reply. Every other model is estimated conservatively: each
 * word, number and symbol counts at least one token and a longer word one per three characters
 * (English averages about four characters per token on common tokenizers), so the reservation
 * errs high and the difference is released when the call settles.
 */
public final class TokenEstimator {
    static final int PER_MESSAGE = 4;
    static final int PER_REPLY = 3;
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    public long estimate(String model, List<Message> messages, String extra) {
        Optional<Encoding> encoding = encoding(model);
        long total = PER_REPLY;
        for (Message m : messages) {
            total += PER_MESSAGE + count(encoding, m.content());
        }
        return total + count(encoding, extra == null ? "" : extra);
    }

    /** The tokens of {@code text} alone, without any message overhead, counted as {@link #estimate} counts them. */
    public long count(String model, String text) {
        return count(encoding(model), text);
    }

    private static long count(Optional<Encoding> encoding, String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return encoding.map(e -> (long) e.countTokensOrdinary(text)).orElseGet(() -> conservative(text));
    }

    /**
     * A count that errs high: every word, number and symbol is at least one token, and a longer
     * word one token per three characters, rounded up. A word is a run of letters and numbers
     * (Unicode categories L and N), measured in UTF-16 units; a symbol is any other code point
     * but ASCII white space. One pass over the characters, without a regex: it runs before every
     * model call.
     */
    static long conservative(String text) {
        long total = 0;
        int run = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int width = Character.charCount(cp);
            i += width;
            if (wordly(cp)) {
                run += width;
                continue;
            }
            total += (run + 2) / 3;
            run = 0;
            if (!asciiSpace(cp)) {
                total++; // a symbol is one token whatever its width
            }
        }
        return total + (run + 2) / 3;
    }

    /** In {@code \p{L}} or {@code \p{N}}. */
    private static boolean wordly(int cp) {
        if (cp < 0x80) {
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER, Character.OTHER_LETTER,
                    Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /** What {@code \s} matches without Unicode classes: space, tab, line feed, vertical tab, form feed, carriage return. */
    private static boolean asciiSpace(int cp) {
        return cp == ' ' || (cp >= '\t' && cp <= '\r');
    }

    static Optional<Encoding> encoding(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        int slash = m.lastIndexOf('/');
        if (slash >= 0) {
            m = m.substring(slash + 1);
        }
        if (m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5") || m.startsWith("gpt-5") || m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4")
                || m.startsWith("chatgpt-4o")) {
            return Optional.of(REGISTRY.getEncoding(EncodingType.O200K_BASE));
        }
        if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5")) {
            return Optional.of(REGISTRY.getEncoding(EncodingType.CL100K_BASE));
        }
        return Optional.empty();
    }
}
