package dev.mainstay.redaction;

import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The two replacement shapes. A mask is the label in single brackets, {@code [EMAIL]}. A token is
 * the label, an underscore and a number in double brackets, {@code [[EMAIL_1]]}: plain ASCII, so
 * it survives tokenizers, JSON escaping and Markdown, reads to a model as a placeholder to copy
 * through, and cannot be confused with a mask or with Markdown links.
 */
final class Placeholders {
    /** Anything shaped like a token of ours, issued or not; the same pattern restores and reserves. */
    static final Pattern TOKEN = Pattern.compile("\\[\\[(" + Arrays.stream(Category.values()).map(Category::label)
            .collect(Collectors.joining("|")) + ")_([1-9][0-9]{0,8})]]");

    private Placeholders() {
    }

    static String mask(Category category) {
        return "[" + category.label() + "]";
    }

    static String token(String label, int number) {
        return "[[" + label + "_" + number + "]]";
    }
}
