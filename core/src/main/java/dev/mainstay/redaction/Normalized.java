package dev.mainstay.redaction;

import java.text.Normalizer;
import java.util.Arrays;

/**
 * The text the detectors read, and the way back to the text they were given. The view is the
 * text in Unicode NFKC (full-width forms, ligatures, compatibility characters), with every decimal
 * digit of any script (Arabic-Indic, Devanagari, full-width...) as its ASCII digit, every space
 * separator (no-break, narrow no-break, thin, figure, ideographic...) as a space, every dash
 * (hyphen, non-breaking hyphen, en and em dash, minus sign...) as {@code -}, line and paragraph
 * separators as a line feed, and format characters (zero-width spaces and joiners, soft hyphens,
 * direction marks) left out. A value written with any of these reads to a detector like its ASCII
 * form, while a detection replaces exactly the original characters behind it, so the original
 * text is what a placeholder restores.
 *
 * <p>NFKC is applied to each character together with the combining marks that follow it, so that
 * every character of the view comes from one such cluster of the original: a detection that
 * starts or ends inside the expansion of one character ({@code ㈱}, {@code ﬃ}) covers that whole
 * character. Plain ASCII text is its own view and costs no copy.
 */
final class Normalized {
    private final String view;
    /** Per view character, where its cluster starts and ends in the original; null for an ASCII text. */
    private final int[] from;
    private final int[] to;

    private Normalized(String view, int[] from, int[] to) {
        this.view = view;
        this.from = from;
        this.to = to;
    }

    static Normalized of(String text) {
        int n = text.length();
        int firstOther = 0;
        while (firstOther < n && text.charAt(firstOther) < 0x80) {
            firstOther++;
        }
        if (firstOther == n) {
            return new Normalized(text, null, null);
        }
        StringBuilder view = new StringBuilder(n);
        int[] from = new int[n + 16];
        int[] to = new int[n + 16];
        int size = 0;
        int i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            int end = i + Character.charCount(cp);
            while (end < n && isMark(text.codePointAt(end))) {
                end += Character.charCount(text.codePointAt(end));
            }
            String cluster;
            if (end - i == 1 && (cp < 0x80 || Character.isSurrogate((char) cp) || isIdentity(cp))) {
                // ASCII, a lone surrogate half, or a letter NFKC leaves alone: no call to the normalizer.
                cluster = null;
            } else {
                cluster = Normalizer.normalize(text.substring(i, end), Normalizer.Form.NFKC);
            }
            int k = 0;
            int limit = cluster == null ? 1 : cluster.length();
            while (k < limit) {
                int c = cluster == null ? cp : cluster.codePointAt(k);
                k += cluster == null ? 1 : Character.charCount(c);
                int mapped = map(c, size > 0 && Detector.isAsciiDigit(view.charAt(view.length() - 1)));
                if (mapped < 0) {
                    continue;
                }
                int chars = Character.charCount(mapped);
                if (size + chars > from.length) {
                    from = Arrays.copyOf(from, Math.max(from.length * 2, size + chars));
                    to = Arrays.copyOf(to, from.length);
                }
                view.appendCodePoint(mapped);
                for (int c2 = 0; c2 < chars; c2++) {
                    from[size] = i;
                    to[size] = end;
                    size++;
                }
            }
            i = end;
        }
        return new Normalized(view.toString(), from, to);
    }

    /** The view: what detectors read. */
    String view() {
        return view;
    }

    /** {@code span} of the view as the span of the original characters it was read from. */
    Span toOriginal(Span span) {
        if (from == null) {
            return span;
        }
        return new Span(from[span.start()], to[span.end() - 1], span.category());
    }

    /** The view's code point for {@code c}, or -1 to leave it out. */
    private static int map(int c, boolean afterDigit) {
        return switch (Character.getType(c)) {
            case Character.DECIMAL_DIGIT_NUMBER -> '0' + Character.digit(c, 10);
            case Character.SPACE_SEPARATOR -> ' ';
            case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> '\n';
            case Character.DASH_PUNCTUATION -> '-';
            case Character.FORMAT -> -1;
            // A variation selector or keycap after a digit (4️⃣) would split a number in two.
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK -> afterDigit ? -1 : c;
            default -> c == '\u2212' ? '-' : c;
        };
    }

    private static boolean isMark(int c) {
        int type = Character.getType(c);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.COMBINING_SPACING_MARK;
    }

    /** Common letters that NFKC leaves as they are: CJK ideographs, Hangul syllables, most Cyrillic, Greek and Arabic letters. */
    private static boolean isIdentity(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x0410 && c <= 0x044F)
                || (c >= 0x0391 && c <= 0x03A9) || (c >= 0x03B1 && c <= 0x03C9) || (c >= 0x0621 && c <= 0x063A) || (c >= 0x0641 && c <= 0x064A);
    }

    @Override
    public String toString() {
        return "Normalized[chars=" + view.length() + (from == null ? ", ascii" : "") + "]";
    }
}
