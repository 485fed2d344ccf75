package dev.mainstay.redaction;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Phone numbers, in four shapes and one library pass. The rule that keeps years, prices, dates and
 * order numbers out: a number is a phone only if it has at least 7 digits <em>and</em> a phone's
 * shape, because a bare run of digits is as likely an order id as a phone.
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
 *       most four of {@code : . # -} and spaces): {@code Tel: 4930123456}, {@code tel:4155550123}.
 *   <li><b>Google's libphonenumber</b> ({@code findNumbers}, leniency {@code VALID}) finds the
 *       international numbers that are valid in their country's numbering plan, whatever their
 *       punctuation: {@code +49 (0)30 / 123 456 78}, {@code +1 - 415 - 555 - 0188},
 *       {@code +1 415 555 0188 ext. 123} (the extension with it).
 * </ol>
 *
 * All of them read the {@linkplain Normalized normalised view}: digits of any script, any Unicode
 * space or dash as a separator.
 *
 * <p><b>Glued to a word.</b> A number written against letters ({@code phone+14155550188x},
 * {@code call(415) 555-0123}) is a phone when there is evidence beyond its shape: a phone word
 * right before it, or libphonenumber finding it valid (international numbers in their country's
 * plan, North American ones in the North American plan). Without such evidence the letters are
 * taken for part of an id, as before. A number is never taken from inside a longer run of digits.
 *
 * Not detected: local numbers without an area code ({@code 555-0199}), bare digit runs without a
 * phone word, national numbers written without a trunk {@code 0} outside North America.
 */
final class Phones {
    /*
     * Each group takes its whole run of digits (possessive, or followed by (?!\d)), and the
     * international and trunk shapes end where their groups end: the check then takes the longest
     * prefix that ends well (see longestPrefix). Were a group allowed to end inside a longer run,
     * or a whole candidate refused for what follows it, a number next to another value would be
     * found or not depending on whether that value is itself redacted, and redacting twice would
     * find more than redacting once. Letters around a candidate do not stop the patterns; the
     * checks ask for evidence when there are any (see glued).
     */
    private static final Pattern INTERNATIONAL = Pattern.compile(
            "(?<![0-9+])\\+[1-9]\\d*+(?:[ .-]?(?:\\(\\d{1,4}+\\)|\\d++)){0,11}+");
    private static final Pattern NORTH_AMERICAN = Pattern.compile(
            "(?<![0-9+.-])(?:1[ .-]?)?(?:\\(\\d{3}\\)[ .-]?\\d{3}[ .-]\\d{4}|\\d{3}(?<s>[ .-])\\d{3}\\k<s>\\d{4})(?![0-9]|[.-]?\\d)");
    private static final Pattern TRUNK = Pattern.compile(
            "(?<![0-9+./-])(?:\\(0\\d{1,4}+\\) ?\\d{2,8}+(?!\\d)(?:[ -]\\d{2,8}+(?!\\d)){0,5}+"
                    + "|0\\d{1,4}+(?<t>[ ./-])\\d{2,8}+(?!\\d)(?:\\k<t>\\d{2,8}+(?!\\d)){0,5}+)");
    private static final Pattern BARE = Pattern.compile("(?<![0-9+.-])\\d{7,15}+(?![0-9]|[.,-]?\\d)");

    /** A phone word right before a bare number; applied to the few characters before it. */
    private static final Pattern PHONE_WORD = Pattern.compile(
            "(?i)(?<![a-z])(?:phone|telephone|tel|mobile|mob|cell|fax|call|whatsapp|sms)(?:\\s?(?:no\\.?|number|nr\\.?|#))?[\\s.:#-]{0,4}$");

    private static final int MIN_DIGITS = 7;
    private static final int MAX_DIGITS = 15;

    private static final PhoneNumberUtil LIBRARY = PhoneNumberUtil.getInstance();
    /** Longer than any number as written, extension included: {@code +1 - 415 - 555 - 0188 ext. 12345}. */
    private static final int LIBRARY_WINDOW = 64;
    private static final int LIBRARY_CANDIDATES = 1000;
    /** What may follow a number as its extension ({@code ext. 123}, {@code x123}, {@code #123}): the library reads those. */
    private static final Pattern EXTENSION = Pattern.compile("(?i)[ ,;]{0,2}(?:ext\\.?|extension|x|#)[ :]{0,2}\\d");
    /** The region for numbers written with {@code +}: none, so only international numbers are read. */
    private static final String INTERNATIONAL_ONLY = "ZZ";
    /** Any region of the North American Numbering Plan reads all of its numbers. */
    private static final String NORTH_AMERICA = "US";

    static final Detector DETECTOR = new Detector(Category.PHONE, Phones::mayStart, List.of(
            new Detector.Shape(INTERNATIONAL, Phones::international),
            new Detector.Shape(NORTH_AMERICAN, Phones::northAmerican),
            new Detector.Shape(TRUNK, Phones::trunk),
            new Detector.Shape(BARE, Phones::bare)),
            Phones::library);

    private Phones() {
    }

    private static boolean mayStart(String text, int i) {
        char c = text.charAt(i);
        return (Detector.isAsciiDigit(c) || c == '+' || c == '(') && !Detector.isAsciiDigit(Detector.before(text, i));
    }

    private static Span international(String text, Matcher m) {
        return longestPrefix(text, m.start(), m.end(), MIN_DIGITS, MAX_DIGITS, end -> valid(text, m.start(), end, INTERNATIONAL_ONLY));
    }

    private static Span northAmerican(String text, Matcher m) {
        if (glued(text, m.start(), m.end()) && !phoneWordBefore(text, m.start()) && !valid(text, m.start(), m.end(), NORTH_AMERICA)) {
            return null;
        }
        return new Span(m.start(), m.end(), Category.PHONE);
    }

    private static Span trunk(String text, Matcher m) {
        // The country of a national number is unknown, so the library cannot vouch for it.
        return longestPrefix(text, m.start(), m.end(), 9, 13, end -> false);
    }

    /**
     * The longest prefix of {@code [start, end)} that ends at the end of a group, is not followed
     * by a digit, {@code +} or a dot, dash or slash before a digit, has at most {@code max} digits
     * and, when letters touch it, has the evidence a glued number needs, if it has at least
     * {@code min} digits. Too many digits mean the last groups belong to whatever follows (another
     * number after a space).
     *
     * @param validUpTo whether the prefix ending at a given index is a valid number
     */
    private static Span longestPrefix(String text, int start, int end, int min, int max, IntPredicate validUpTo) {
        int kept = start;
        int digits = 0;
        int keptDigits = 0;
        Boolean wordBefore = null;
        for (int i = start; i < end && digits <= max; i++) {
            char c = text.charAt(i);
            if (Detector.isAsciiDigit(c)) {
                digits++;
            }
            if ((Detector.isAsciiDigit(c) || c == ')') && digits <= max && endsWell(text, i + 1)) {
                if (digits >= min && glued(text, start, i + 1)) {
                    if (wordBefore == null) {
                        wordBefore = phoneWordBefore(text, start);
                    }
                    if (!wordBefore && !validUpTo.test(i + 1)) {
                        continue;
                    }
                }
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
        if (Detector.isAsciiDigit(c) || c == '+') {
            return false;
        }
        return !((c == '.' || c == '-' || c == '/') && end + 1 < text.length() && Detector.isAsciiDigit(text.charAt(end + 1)));
    }

    /** Whether a letter touches {@code [start, end)}. */
    private static boolean glued(String text, int start, int end) {
        return Detector.isGlue(Detector.before(text, start)) || (end < text.length() && Detector.isGlue(text.charAt(end)));
    }

    private static boolean phoneWordBefore(String text, int start) {
        int windowStart = Math.max(0, start - 32);
        return PHONE_WORD.matcher(text).region(windowStart, start).useTransparentBounds(true).find();
    }

    /** Whether libphonenumber reads {@code text[start, end)} as a number valid in its numbering plan. */
    private static boolean valid(String text, int start, int end, String region) {
        try {
            return LIBRARY.isValidNumber(LIBRARY.parse(text.substring(start, end), region));
        } catch (NumberParseException notANumber) {
            return false;
        }
    }

    private static Span bare(String text, Matcher m) {
        return phoneWordBefore(text, m.start()) ? new Span(m.start(), m.end(), Category.PHONE) : null;
    }

    /**
     * The library's own finder, for international numbers in punctuation the shapes do not cover.
     * It runs only where a {@code +} and a digit start something no shape found as a phone, or a
     * number a shape found is followed by an extension: it parses every candidate it meets, far
     * slower than a pattern, and most numbers are found by the shapes already. At most
     * {@link #LIBRARY_CANDIDATES} such places per text are given to it (a text that holds more is
     * hostile; the shapes still read all of it). At leniency {@code VALID} it refuses a number
     * touching a letter; the shapes handle those.
     */
    private static void library(String text, List<Span> out) {
        int plus = text.indexOf('+');
        if (plus < 0) {
            return;
        }
        BitSet found = new BitSet(text.length());
        BitSet extended = new BitSet();
        for (Span s : out) {
            if (s.category() == Category.PHONE) {
                found.set(s.start(), s.end());
                if (text.charAt(s.start()) == '+' && EXTENSION.matcher(text).region(s.end(), text.length()).lookingAt()) {
                    extended.set(s.start());
                }
            }
        }
        int candidates = 0;
        int done = 0;
        for (; plus >= 0 && candidates < LIBRARY_CANDIDATES; plus = text.indexOf('+', plus + 1)) {
            if (plus < done || (found.get(plus) && !extended.get(plus)) || !digitSoonAfter(text, plus)) {
                continue;
            }
            candidates++;
            // A window as long as any written number: the library sees only this candidate.
            CharSequence window = text.subSequence(plus, Math.min(text.length(), plus + LIBRARY_WINDOW));
            for (PhoneNumberMatch match : LIBRARY.findNumbers(window, INTERNATIONAL_ONLY, PhoneNumberUtil.Leniency.VALID, 3)) {
                if (match.start() == 0) {
                    out.add(new Span(plus, plus + match.end(), Category.PHONE));
                    done = plus + match.end();
                }
                break;
            }
        }
    }

    /** A digit right after {@code +}, or after a space or an opening parenthesis. */
    private static boolean digitSoonAfter(String text, int plus) {
        for (int i = plus + 1; i < Math.min(text.length(), plus + 3); i++) {
            char c = text.charAt(i);
            if (Detector.isAsciiDigit(c)) {
                return true;
            }
            if (c != ' ' && c != '(') {
                return false;
            }
        }
        return false;
    }
}
