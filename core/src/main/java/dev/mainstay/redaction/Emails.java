package dev.mainstay.redaction;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Email addresses, internationalised ones included (RFC 6531): a local part, {@code @}, one to
 * eight dot-separated host labels and a top-level domain.
 *
 * <ul>
 *   <li>The <b>local part</b> is found by walking back from the {@code @} over letters, marks and
 *       digits of any script and the punctuation RFC 5322 allows in an unquoted local part that
 *       names carry ({@code . _ % + - ' ’ ! # $ & ^ ~}), at most 64 characters: {@code o'neil},
 *       {@code café.owner}, {@code 用户}. Dots and apostrophes before it are taken for punctuation
 *       or quotes ({@code 'alice@example.com'}); it may not end with a dot or hold two in a row.
 *       Text glued before an address ({@code contactalice@example.com}) is taken with it: where the
 *       address starts cannot be told, and a name must not leak. The RFC's {@code * / = ? ` { | }}
 *       are left out: they delimit markup, templates and query strings around addresses far more
 *       often than they appear in one.
 *   <li>A <b>host label</b> is letters, marks and digits of any script and inner hyphens
 *       ({@code bücher}, {@code 例子}, {@code xn--bcher-kva}).
 *   <li>The <b>top-level domain</b> is two or more ASCII letters, two or more letters of other
 *       scripts ({@code рф}, {@code 中国}), or punycode ({@code xn--p1ai}). Letters glued after it
 *       in the same script are taken with it ({@code alice@example.comThanks}).
 * </ul>
 *
 * Quoted local parts and IP-literal domains are not detected. Full-width and other compatibility
 * forms ({@code ＠}, {@code ．}) are read through the {@linkplain Normalized normalised view}.
 */
final class Emails {
    /** The domain, tried at each {@code @}; the local part is found by walking back from it. */
    private static final Pattern PATTERN = Pattern.compile(
            "@(?:[\\p{L}\\p{M}0-9](?:[\\p{L}\\p{M}0-9-]{0,61}[\\p{L}\\p{M}0-9])?\\.){1,8}"
                    + "(?:xn--[A-Za-z0-9-]{1,59}+|[A-Za-z]{2,63}+|[\\p{L}\\p{M}&&[^A-Za-z]]{2,63}+)");

    private static final int MAX_LOCAL = 64;

    static final Detector DETECTOR = new Detector(Category.EMAIL, (text, i) -> text.charAt(i) == '@', PATTERN, Emails::check);

    private Emails() {
    }

    private static Span check(String text, Matcher m) {
        int at = m.start();
        int start = at;
        while (start > 0 && at - start < MAX_LOCAL) {
            int c = text.codePointBefore(start);
            if (!isLocal(c) || at - start + Character.charCount(c) > MAX_LOCAL) {
                break;
            }
            start -= Character.charCount(c);
        }
        // A sentence's full stop or an opening quote glued to the address ("...today.alice@example.com",
        // 'alice@example.com') is not part of it.
        while (start < at && isLeadingPunctuation(text.charAt(start))) {
            start++;
        }
        String local = text.substring(start, at);
        if (local.isEmpty() || local.endsWith(".") || local.contains("..")) {
            return null;
        }
        return new Span(start, m.end(), Category.EMAIL);
    }

    private static boolean isLeadingPunctuation(char c) {
        return c == '.' || c == '\'' || c == '\u2019';
    }

    private static boolean isLocal(int c) {
        if (c < 0x80) {
            return Detector.isAsciiLetter((char) c) || Detector.isAsciiDigit((char) c) || ".!#$%&'+-^_~".indexOf(c) >= 0;
        }
        return c == '\u2019' || Character.isLetterOrDigit(c) || isMark(c);
    }

    private static boolean isMark(int c) {
        int type = Character.getType(c);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.COMBINING_SPACING_MARK;
    }
}
