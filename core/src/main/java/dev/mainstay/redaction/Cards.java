package dev.mainstay.redaction;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Payment card numbers: 13–19 digits that pass the Luhn check and start with 2–6 (Mastercard,
 * Visa, American Express, Diners, Discover, JCB, UnionPay, Maestro; 1, 7, 8, 9 and 0 lead no
 * major network's numbers and excluding them halves the false positives among order numbers).
 * Written without separators, or in the groups issuers print (4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4)
 * separated throughout by single spaces or by single dashes ({@code 4111 1111 1111 1111},
 * {@code 3782-822463-10005}). Read through the {@linkplain Normalized normalised view}, so a space
 * is any Unicode space separator (no-break, thin, figure...) and a dash any dash (en, em, minus
 * sign...), and digits may be of any script.
 *
 * <p>When more grouped digits follow a card ({@code 4111 1111 1111 1111 2024}), the longest
 * prefix ending at a group boundary that is a valid card number is taken.
 *
 * <p>A number is never taken from inside a longer run of digits, nor after a dot or a dash. It
 * may be glued to a word ({@code card4012888888881881end}): the Luhn check is the evidence. A
 * single letter glued to it ({@code x4111111111111111}, {@code 20240115123045Z}) is more likely an
 * id's prefix or a unit than a word, and a run of hexadecimal digits around it
 * ({@code deadbeef4111111111111111}) is a hash or an id: neither is taken.
 */
final class Cards {
    /** The first group; the others are read by hand, each a whole run of 1–6 digits after the same separator. */
    private static final Pattern PATTERN = Pattern.compile("[2-6]\\d{0,18}+(?!\\d)");

    private static final int MAX_GROUPS = 8;

    static final Detector DETECTOR = new Detector(Category.CARD, Cards::mayStart, PATTERN, Cards::check);

    private Cards() {
    }

    private static boolean mayStart(String text, int i) {
        char c = text.charAt(i);
        char b = Detector.before(text, i);
        return c >= '2' && c <= '6' && !Detector.isAsciiDigit(b) && b != '.' && b != '-' && (!Detector.isGlue(b) || Detector.glueRun(text, i - 1, -1, 2) == 2);
    }

    /** Whether a card may end at {@code end}: not before a digit, and before a word only if it is one of at least two letters. */
    private static boolean endsWell(String text, int end) {
        if (end == text.length()) {
            return true;
        }
        char c = text.charAt(end);
        return !Detector.isAsciiDigit(c) && (!Detector.isGlue(c) || Detector.glueRun(text, end, 1, 2) == 2);
    }

    /** Whether the letters and digits around {@code [start, end)} are all hexadecimal: a hash or an id, not a card glued to words. */
    private static boolean insideHex(String text, int start, int end) {
        int from = start;
        while (from > 0 && isAlnum(text.charAt(from - 1))) {
            from--;
        }
        int to = end;
        while (to < text.length() && isAlnum(text.charAt(to))) {
            to++;
        }
        if (from == start && to == end) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlnum(char c) {
        return Character.isLetterOrDigit(c);
    }

    private static Span check(String text, Matcher m) {
        int start = m.start();
        List<Integer> groupEnds = new ArrayList<>();
        groupEnds.add(m.end());
        int p = m.end();
        char sep = p < text.length() ? text.charAt(p) : 0;
        while ((sep == ' ' || sep == '-') && groupEnds.size() < MAX_GROUPS && p + 1 < text.length() && text.charAt(p) == sep) {
            int q = p + 1;
            while (q < text.length() && isDigit(text.charAt(q)) && q - p <= 6) {
                q++;
            }
            if (q == p + 1 || (q < text.length() && Detector.isAsciiDigit(text.charAt(q)))) {
                break;
            }
            groupEnds.add(q);
            p = q;
        }
        boolean glued = Detector.isGlue(Detector.before(text, start));
        for (int g = groupEnds.size() - 1; g >= 0; g--) {
            if (!printedGrouping(start, groupEnds.subList(0, g + 1))) {
                continue;
            }
            int end = groupEnds.get(g);
            String digits = digitsOf(text, start, end);
            if (digits.length() < 13) {
                return null;
            }
            if (digits.length() <= 19 && endsWell(text, end) && luhn(digits)
                    && !((glued || (end < text.length() && Detector.isGlue(text.charAt(end)))) && insideHex(text, start, end))) {
                return new Span(start, end, Category.CARD);
            }
        }
        return null;
    }

    /**
     * Whether groups ending at {@code ends} (each separator one character) are written the way
     * issuers print card numbers: one group; fours with a shorter last group (4-4-4-4, 4-4-4-4-3,
     * 4-4-4-1); or 4-6-4 (Diners) and 4-6-5 (American Express). Anything else, such as 4-3-3-4,
     * is more likely two numbers side by side.
     */
    private static boolean printedGrouping(int start, List<Integer> ends) {
        if (ends.size() == 1) {
            return true;
        }
        int[] sizes = new int[ends.size()];
        int from = start;
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = ends.get(i) - from;
            from = ends.get(i) + 1;
        }
        if (sizes.length == 3 && sizes[0] == 4 && sizes[1] == 6 && (sizes[2] == 4 || sizes[2] == 5)) {
            return true;
        }
        for (int i = 0; i < sizes.length - 1; i++) {
            if (sizes[i] != 4) {
                return false;
            }
        }
        return sizes[sizes.length - 1] <= 4;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String digitsOf(String text, int start, int end) {
        StringBuilder out = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            if (isDigit(text.charAt(i))) {
                out.append(text.charAt(i));
            }
        }
        return out.toString();
    }

    /** The Luhn (mod 10) check over all digits, the last being the check digit. */
    static boolean luhn(String digits) {
        int sum = 0;
        boolean twice = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }
}
