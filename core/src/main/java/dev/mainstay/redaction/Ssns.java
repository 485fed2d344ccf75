package dev.mainstay.redaction;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * US social security numbers written {@code ddd-dd-dddd}, without the numbers the Social Security
 * Administration never issues: area {@code 000}, {@code 666} or {@code 900}–{@code 999}, group
 * {@code 00}, serial {@code 0000}. Nine digits without dashes are not detected: too many other
 * numbers look like that.
 */
final class Ssns {
    private static final Pattern PATTERN = Pattern.compile("(?<![\\w-])(\\d{3})-(\\d{2})-(\\d{4})(?![\\w]|-\\d)");

    static final Detector DETECTOR = new Detector(Category.SSN,
            (text, i) -> i + 3 < text.length() && text.charAt(i + 3) == '-' && Detector.isAsciiDigit(text.charAt(i)), PATTERN, Ssns::check);

    private Ssns() {
    }

    private static Span check(String text, Matcher m) {
        String area = m.group(1);
        if (area.equals("000") || area.equals("666") || area.charAt(0) == '9' || m.group(2).equals("00") || m.group(3).equals("0000")) {
            return null;
        }
        return new Span(m.start(), m.end(), Category.SSN);
    }
}
