package dev.mainstay.redaction;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Email addresses: an ASCII local part of at most 64 characters (letters, digits and
 * {@code . _ % + -}, not ending with a dot, no two dots in a row; dots before it are taken for
 * punctuation), {@code @}, one to eight dot-separated host labels and an alphabetic top-level
 * domain of 2 to 24 letters. Quoted local parts, IP-literal domains, punycode top-level domains
 * and non-ASCII addresses are not detected.
 */
final class Emails {
    /** The domain, tried at each {@code @}; the local part is found by walking back from it. */
    private static final Pattern PATTERN = Pattern.compile(
            "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9]|[.-][A-Za-z0-9])");

    private static final int MAX_LOCAL = 64;

    static final Detector DETECTOR = new Detector(Category.EMAIL, (text, i) -> text.charAt(i) == '@', PATTERN, Emails::check);

    private Emails() {
    }

    private static Span check(String text, Matcher m) {
        int at = m.start();
        int start = at;
        while (start > 0 && at - start <= MAX_LOCAL && isLocal(text.charAt(start - 1))) {
            start--;
        }
        if (at - start > MAX_LOCAL) {
            return null;
        }
        // A sentence's full stop glued to the address ("...today.alice@example.com") is not part of it.
        while (start < at && text.charAt(start) == '.') {
            start++;
        }
        String local = text.substring(start, at);
        if (local.isEmpty() || local.endsWith(".") || local.contains("..")) {
            return null;
        }
        return new Span(start, m.end(), Category.EMAIL);
    }

    private static boolean isLocal(char c) {
        return Detector.isAsciiLetter(c) || Detector.isAsciiDigit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
    }
}
