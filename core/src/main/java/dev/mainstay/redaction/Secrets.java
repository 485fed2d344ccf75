package dev.mainstay.redaction;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API keys, tokens and private keys, by the shapes their issuers give them.
 *
 * <ul>
 *   <li>OpenAI and Anthropic keys: {@code sk-} and at least 20 of {@code [A-Za-z0-9_-]}
 *       (covers {@code sk-proj-...} and {@code sk-ant-api03-...}).
 *   <li>AWS access key ids: {@code AKIA} or {@code ASIA} and 16 of {@code [A-Z0-9]}.
 *   <li>GitHub tokens: {@code ghp_}, {@code gho_}, {@code ghu_}, {@code ghs_}, {@code ghr_} and at
 *       least 36 letters and digits; fine-grained {@code github_pat_} and at least 22 more.
 *   <li>Slack tokens: {@code xoxa-}, {@code xoxb-}, {@code xoxp-}, {@code xoxr-} and at least 10
 *       of {@code [A-Za-z0-9-]}.
 *   <li>Google API keys: {@code AIza} and exactly 35 of {@code [A-Za-z0-9_-]}.
 *   <li>JSON Web Tokens: three base64url segments, the first two starting {@code eyJ} (a JSON
 *       object), the signature possibly empty.
 *   <li>Credentials in an HTTP header: the value after {@code Authorization: Bearer},
 *       {@code Basic} or {@code Token} (header name and scheme in any case, quoted or not, with
 *       {@code :} or {@code =}); the header name and scheme stay readable.
 *   <li>PEM private keys: from {@code -----BEGIN ... PRIVATE KEY-----} (RSA, EC, DSA, OPENSSH,
 *       ENCRYPTED, PGP ... BLOCK) to the matching {@code -----END ...-----}, also when the line
 *       breaks are written as {@code \n} inside a JSON string. A block cut off before its END
 *       line is redacted up to its last base64 line; a lone BEGIN line is not a secret.
 * </ul>
 *
 * AWS secret access keys and passwords have no shape of their own and are not detected.
 */
final class Secrets {
    private static final Pattern PATTERN = Pattern.compile(
            "(?<![\\w-])sk-[A-Za-z0-9_-]{20,}+"
                    + "|(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"
                    + "|(?<!\\w)gh[pousr]_[A-Za-z0-9]{36,}+"
                    + "|(?<!\\w)github_pat_[A-Za-z0-9_]{22,}+"
                    + "|(?<![\\w-])xox[abpr]-[A-Za-z0-9-]{10,}+"
                    + "|(?<![\\w-])AIza[A-Za-z0-9_-]{35}(?![\\w-])"
                    + "|(?<![\\w-])eyJ[A-Za-z0-9_-]{4,}+\\.eyJ[A-Za-z0-9_-]{4,}+\\.[A-Za-z0-9_-]*+"
                    + "|(?<![A-Za-z])(?i:authorization)[\"']?[ \\t]{0,8}[:=][ \\t]{0,8}[\"']?(?i:bearer|basic|token)[ \\t]{1,8}"
                    + "(?<credential>[A-Za-z0-9._~+/-]{8,}+=*+)"
                    + "|(?<pem>-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)");

    /** A base64 line of a key is 64 characters (OpenSSH: 70); prose words are far shorter. */
    private static final int KEY_LINE = 20;

    static final Detector DETECTOR = new Detector(Category.SECRET, Secrets::mayStart, PATTERN, Secrets::check);

    private Secrets() {
    }

    private static boolean mayStart(String text, int i) {
        return switch (text.charAt(i)) {
            case 's' -> text.startsWith("sk-", i);
            case 'A' -> text.startsWith("AKIA", i) || text.startsWith("ASIA", i) || text.startsWith("AIza", i)
                    || text.regionMatches(true, i, "authorization", 0, 13);
            case 'a' -> text.regionMatches(true, i, "authorization", 0, 13);
            case 'g' -> text.startsWith("gh", i) || text.startsWith("github_pat_", i);
            case 'x' -> text.startsWith("xox", i);
            case 'e' -> text.startsWith("eyJ", i);
            case '-' -> text.startsWith("-----BEGIN ", i);
            default -> false;
        };
    }

    private static Span check(String text, Matcher m) {
        if (m.start("credential") >= 0) {
            return new Span(m.start("credential"), m.end("credential"), Category.SECRET);
        }
        if (m.start("pem") >= 0) {
            return pem(text, m.start(), m.end());
        }
        return new Span(m.start(), m.end(), Category.SECRET);
    }

    /**
     * The key block that starts with the BEGIN line at {@code [start, headerEnd)}: the body may
     * hold base64, whitespace, escaped line breaks and the {@code Proc-Type}/{@code DEK-Info}
     * headers of encrypted keys. Any other character, or another BEGIN line, ends the body.
     */
    private static Span pem(String text, int start, int headerEnd) {
        int n = text.length();
        int p = headerEnd;
        int wordStart = -1;
        int lastKeyLineEnd = -1;
        while (p < n) {
            char c = text.charAt(p);
            if (c == '-' && text.startsWith("-----", p)) {
                if (text.startsWith("-----END ", p)) {
                    int close = text.indexOf("-----", p + 9);
                    if (close > 0 && close - p <= 64 && text.substring(p, close).contains("PRIVATE KEY")) {
                        return new Span(start, close + 5, Category.SECRET);
                    }
                }
                break;
            }
            boolean base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
            if (base64) {
                if (wordStart < 0) {
                    wordStart = p;
                }
            } else {
                if (wordStart >= 0 && p - wordStart >= KEY_LINE) {
                    lastKeyLineEnd = p;
                }
                wordStart = -1;
                if (!(Character.isWhitespace(c) || c == '\\' || c == ':' || c == ',' || c == '-')) {
                    break;
                }
            }
            p++;
        }
        if (wordStart >= 0 && p - wordStart >= KEY_LINE) {
            lastKeyLineEnd = p;
        }
        return lastKeyLineEnd > 0 ? new Span(start, lastKeyLineEnd, Category.SECRET) : null;
    }
}
