package dev.mainstay.redaction;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Phone numbers, in four shapes. The rule that keeps years, prices, dates and order numbers out:
 * a number is a phone only if it has at least 7 digits <em>and</em> a phone's shape, because a bare
 * run of digits is as likely an order id as a phone.
 *
 * <ol>
 *   <li><b>International</b>: {@code +}, a country code (1–3 digits, not starting with 0), then up
 *       to eleven groups separated by a space, dot or dash, any of them in parentheses; 7–15
 *       digits in all (E.164), the longest prefix that fits when more groups follow:
 *       {@code +44 20 7946 0958}, {@code +1 (555) 123-4567}, {@code +4915112345678},
 *       {@code +44 (0)20 7946 0958}.
 *   <li><b>North American</b>: {@code 555-123-4567}, {@code 555.123.4567}, {@code 555 123 4567}
 *       (one separator throughout), {@code (555) 123-4567}, optionally after {@code 1}.
 *   <li><b>Trunk-prefixed national</b> (most of Europe, the UK, Australia, India...): starts with
 *       {@code 0}, at least two groups with one separator throughout (space, dot, dash or slash) or
 *       a parenthesised area code, 9–13 digits (the longest prefix that fits when more groups
 *       follow): {@code 020 7946 0958}, {@code 06 12 34 56 78}, {@code 030/1234567},
 *       {@code (02) 9876 5432}. Dates such as {@code 01.02.2024} have only 8.
 *   <li><b>Bare digits after a phone word</b>: 7–15 digits with no separators, directly after
 *       {@code phone}, {@code tel}, {@code mobile}, {@code cell}, {@code fax}, {@code call},
 *       {@code whatsapp} or {@code sms} (optionally {@code no}, {@code number} or {@code #}, then at
 *       most four of {@code : . # -} and spaces): {@code Tel: 4930123456}.
 * </ol>
 *
 * Not detected: local numbers without an area code ({@code 555-0199}), bare digit runs without a
 * phone word, extensions.
 */
final class Phones {
    /*
     * Each group takes its whole run of digits (possessive, or followed by (?!\d)), and the
     * international and trunk shapes end where their groups end: the check then takes the longest
     * prefix that ends well (see longestPrefix). Were a group allowed to end inside a longer run,
     * or a whole candidate refused for what follows it, a number next to another value would be
     * found or not depending on whether that value is itself redacted, and redacting twice would
     * find more than redacting once.
     */
    private static final Pattern INTERNATIONAL = Pattern.compile(
            "(?<![\\w+])\\+[1-9]\\d*+(?:[ .-]?(?:\\(\\d{1,4}+\\)|\\d++)){0,11}+");
    private static final Pattern NORTH_AMERICAN = Pattern.compile(
            "(?<![\\w+.-])(?:1[ .-]?)?(?:\\(\\d{3}\\)[ .-]?\\d{3}[ .-]\\d{4}|\\d{3}(?<s>[ .-])\\d{3}\\k<s>\\d{4})(?![\\w]|[.-]?\\d)");
    private static final Pattern TRUNK = Pattern.compile(
            "(?<![\\w+./-])(?:\\(0\\d{1,4}+\\) ?\\d{2,8}+(?!\\d)(?:[ -]\\d{2,8}+(?!\\d)){0,5}+"
                    + "|0\\d{1,4}+(?<t>[ ./-])\\d{2,8}+(?!\\d)(?:\\k<t>\\d{2,8}+(?!\\d)){0,5}+)");
    private static final Pattern BARE = Pattern.compile("(?<![\\w+.-])\\d{7,15}+(?![\\w]|[.,-]?\\d)");

    /** A phone word right before a bare number; applied to the few characters before it. */
    private static final Pattern PHONE_WORD = Pattern.compile(
            "(?i)(?<![a-z])(?:phone|telephone|tel|mobile|mob|cell|fax|call|whatsapp|sms)(?:\\s?(?:no\\.?|number|nr\\.?|#))?[\\s.:#-]{0,4}$");

    private static final int MIN_DIGITS = 7;
    private static final int MAX_DIGITS = 15;

    static final Detector DETECTOR = new Detector(Category.PHONE, Phones::mayStart, List.of(
            new Detector.Shape(INTERNATIONAL, Phones::international),
            new Detector.Shape(NORTH_AMERICAN, (text, m) -> new Span(m.start(), m.end(), Category.PHONE)),
            new Detector.Shape(TRUNK, Phones::trunk),
            new Detector.Shape(BARE, Phones::bare)));

    private Phones() {
    }

    private static boolean mayStart(String text, int i) {
        char c = text.charAt(i);
        return (Detector.isAsciiDigit(c) || c == '+' || c == '(') && !Detector.isWordChar(Detector.before(text, i));
    }

    private static Span international(String text, Matcher m) {
        return longestPrefix(text, m.start(), m.end(), MIN_DIGITS, MAX_DIGITS);
    }

    private static Span trunk(String text, Matcher m) {
        return longestPrefix(text, m.start(), m.end(), 9, 13);
    }

    /**
     * The longest prefix of {@code [start, end)} that ends at the end of a group, is not followed
     * by a letter, digit, {@code +} or a dot, dash or slash before a digit, and has at most
     * {@code max} digits, if it has at least {@code min}. Too many digits mean the last groups
     * belong to whatever follows (another number after a space).
     */
    private static Span longestPrefix(String text, int start, int end, int min, int max) {
        int kept = start;
        int digits = 0;
        int keptDigits = 0;
        for (int i = start; i < end && digits <= max; i++) {
            char c = text.charAt(i);
            if (Detector.isAsciiDigit(c)) {
                digits++;
            }
            if ((Detector.isAsciiDigit(c) || c == ')') && digits <= max && endsWell(text, i + 1)) {
                kept = i + 1;
                keptDigits = digits;
            }
        }
        return keptDigits >= min ? new Span(start, kept, Category.PHONE) : null;
    }

    private static boolean endsWell(String text, int end) {
        if (end == text.length()) {
            return true;
        }
        char c = text.charAt(end);
        if (Detector.isWordChar(c) || c == '+') {
            return false;
        }
        return !((c == '.' || c == '-' || c == '/') && end + 1 < text.length() && Detector.isAsciiDigit(text.charAt(end + 1)));
    }

    private static Span bare(String text, Matcher m) {
        int windowStart = Math.max(0, m.start() - 32);
        return PHONE_WORD.matcher(text).region(windowStart, m.start()).useTransparentBounds(true).find()
                ? new Span(m.start(), m.end(), Category.PHONE)
                : null;
    }
}
