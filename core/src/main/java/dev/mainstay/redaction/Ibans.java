package dev.mainstay.redaction;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * International bank account numbers (ISO 13616): a country code of the IBAN registry, two check
 * digits from 02 to 98, and a basic bank account number of letters and digits, exactly as long as
 * the country's IBAN length, with the mod-97 checksum equal to 1. Written without spaces or in
 * the printed form with one space after every four characters ({@code DE89 3704 0044 0532 0130 00});
 * upper or lower case. The layout of the account number inside is not checked.
 */
final class Ibans {
    private static final Pattern PATTERN = Pattern.compile("(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}(?= ?[A-Za-z0-9])");

    /** IBAN lengths by country, from the SWIFT IBAN registry. */
    private static final Map<String, Integer> LENGTHS = lengths("""
            AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27
            DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28
            IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22
            MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24
            SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30
            """);

    static final Detector DETECTOR = new Detector(Category.IBAN, Ibans::mayStart, PATTERN, Ibans::check);

    private Ibans() {
    }

    private static Map<String, Integer> lengths(String table) {
        Map<String, Integer> out = new HashMap<>();
        for (String entry : table.strip().split("\\s+")) {
            out.put(entry.substring(0, 2), Integer.parseInt(entry.substring(2)));
        }
        return Map.copyOf(out);
    }

    private static boolean mayStart(String text, int i) {
        return i + 3 < text.length() && Detector.isAsciiLetter(text.charAt(i)) && Detector.isAsciiDigit(text.charAt(i + 2))
                && Detector.isAsciiDigit(text.charAt(i + 3)) && !isAsciiAlnum(Detector.before(text, i));
    }

    private static Span check(String text, Matcher m) {
        int start = m.start();
        Integer length = LENGTHS.get(text.substring(start, start + 2).toUpperCase(Locale.ROOT));
        if (length == null) {
            return null;
        }
        boolean spaced = start + 4 < text.length() && text.charAt(start + 4) == ' ';
        StringBuilder iban = new StringBuilder(length);
        int p = start;
        while (iban.length() < length) {
            if (spaced && iban.length() > 0 && iban.length() % 4 == 0) {
                if (p >= text.length() || text.charAt(p) != ' ') {
                    return null;
                }
                p++;
            }
            if (p >= text.length() || !isAsciiAlnum(text.charAt(p))) {
                return null;
            }
            iban.append(Character.toUpperCase(text.charAt(p)));
            p++;
        }
        if (p < text.length() && isAsciiAlnum(text.charAt(p))) {
            return null;
        }
        // Check digits 00, 01 and 99 can satisfy mod 97 (they alias 97, 98 and 02) but are never issued.
        int checkDigits = Integer.parseInt(iban.substring(2, 4));
        return checkDigits >= 2 && checkDigits <= 98 && mod97(iban) == 1 ? new Span(start, p, Category.IBAN) : null;
    }

    /** The IBAN checksum: the first four characters moved to the end, letters as 10..35, mod 97. */
    static int mod97(CharSequence iban) {
        int rest = 0;
        for (int i = 0; i < iban.length(); i++) {
            char c = iban.charAt((i + 4) % iban.length());
            int v = c <= '9' ? c - '0' : c - 'A' + 10;
            rest = (v > 9 ? rest * 100 + v : rest * 10 + v) % 97;
        }
        return rest;
    }

    private static boolean isAsciiAlnum(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
}
