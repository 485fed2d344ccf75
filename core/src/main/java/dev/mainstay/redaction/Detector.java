package dev.mainstay.redaction;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The detector of one category: a cheap test of the characters where a value may start, and one
 * or more shapes tried only there. A shape is a precompiled pattern and a check that accepts the
 * candidate (possibly narrowing it, e.g. to the credential after {@code Bearer}) or rejects it (a
 * failed checksum, an impossible range). Every shape is tried at every start, not only the first
 * that matches: a rejected shape must not hide one that would be accepted.
 *
 * <p>Trying a pattern at every position of a text costs far more than the one-character test:
 * prose has few positions where a digit run, an {@code @} or a key prefix starts, so a 100 KB
 * prompt costs one quick pass per detector. Patterns use bounded or possessive repetition and a
 * lookbehind that forbids starting inside a number (and, for most shapes, a word), so no
 * candidate backtracks far and a pass stays linear even on hostile input such as a megabyte of
 * digits. Detectors read the {@linkplain Normalized normalised view} of a text, never the text.
 */
record Detector(Category category, Starts starts, List<Shape> shapes, Sweep sweep) {
    Detector(Category category, Starts starts, Pattern pattern, Check check) {
        this(category, starts, List.of(new Shape(pattern, check)));
    }

    Detector(Category category, Starts starts, List<Shape> shapes) {
        this(category, starts, shapes, (text, out) -> { });
    }

    Detector {
        shapes = List.copyOf(shapes);
    }

    /** One way a value of the category can be written. */
    record Shape(Pattern pattern, Check check) {
    }

    /** Whether a value of the category may start at {@code text[i]}; false positives are fine. */
    @FunctionalInterface
    interface Starts {
        boolean at(String text, int i);
    }

    /** A pass over the whole text by a finder of its own, after the shapes (a library's matcher). */
    @FunctionalInterface
    interface Sweep {
        void find(String text, List<Span> out);
    }

    /** Accepts or rejects one candidate. */
    @FunctionalInterface
    interface Check {
        /** The detection for this candidate, or null to reject it. */
        Span accept(String text, Matcher candidate);
    }

    static Detector of(Category category) {
        return switch (category) {
            case EMAIL -> Emails.DETECTOR;
            case PHONE -> Phones.DETECTOR;
            case CARD -> Cards.DETECTOR;
            case IBAN -> Ibans.DETECTOR;
            case SSN -> Ssns.DETECTOR;
            case IP -> IpAddresses.DETECTOR;
            case SECRET -> Secrets.DETECTOR;
        };
    }

    /**
     * Adds every accepted candidate to {@code out}: the shapes are tried at each position where a
     * value may start, also inside an accepted candidate (it may hide a longer value that starts
     * there; {@link Finding#resolve} merges overlaps) and inside a rejected one (it may hide a
     * valid shorter one).
     */
    void find(String text, List<Span> out) {
        Matcher[] matchers = new Matcher[shapes.size()];
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (!starts.at(text, i)) {
                continue;
            }
            for (int s = 0; s < matchers.length; s++) {
                if (matchers[s] == null) {
                    // Transparent bounds let the lookbehinds see the text before the region.
                    matchers[s] = shapes.get(s).pattern().matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
                }
                Matcher m = matchers[s].region(i, n);
                if (m.lookingAt()) {
                    Span span = shapes.get(s).check().accept(text, m);
                    if (span != null) {
                        out.add(span);
                    }
                }
            }
        }
        sweep.find(text, out);
    }

    static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** {@code \w} of the patterns: ASCII letters, digits and underscore. */
    static boolean isWordChar(char c) {
        return isAsciiLetter(c) || isAsciiDigit(c) || c == '_';
    }

    /**
     * A letter of any script or an underscore: what glues a value to a word
     * ({@code card4012888888881881end}, {@code phone+14155550188x}).
     */
    static boolean isGlue(char c) {
        return c == '_' || Character.isLetter(c);
    }

    /** How many letters (or underscores) run from {@code i} in direction {@code step} (+1 or -1), counting at most {@code max}. */
    static int glueRun(String text, int i, int step, int max) {
        int n = 0;
        for (int p = i; p >= 0 && p < text.length() && n < max && isGlue(text.charAt(p)); p += step) {
            n++;
        }
        return n;
    }

    /** The character before {@code i}, or a space at the start of the text. */
    static char before(String text, int i) {
        return i == 0 ? ' ' : text.charAt(i - 1);
    }
}
