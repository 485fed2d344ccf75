package dev.mainstay.redaction;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IP addresses.
 *
 * <ul>
 *   <li><b>IPv4</b>: four dot-separated decimal numbers of 1–3 digits, each at most 255, not part
 *       of a longer dotted run. A four-part version number such as {@code 1.2.3.4} is a valid
 *       address and is detected (privacy wins over prose); {@code v1.2.3.4}, {@code 1.2.3} and
 *       {@code 1.2.3.4.5} are not. {@code 999.1.1.1} is not.
 *   <li><b>IPv6</b>: the text forms of RFC 4291 (eight groups of 1–4 hex digits, one {@code ::}
 *       for a run of zero groups, an IPv4 address as the last 32 bits), validated by hand. To keep
 *       words like {@code dead::beef} and C++ scopes out, a compressed address must contain a
 *       decimal digit. Zone ids ({@code %eth0}) are left in the text.
 * </ul>
 */
final class IpAddresses {
    private static final Pattern V4 = Pattern.compile("(?<![\\w.])\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(?![\\w]|\\.\\d)");
    /** A run of hex digits, colons and dots with a colon early on; {@link #ipv6} decides. */
    private static final Pattern V6 = Pattern.compile("(?<![\\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:])[0-9A-Fa-f:.]{2,45}+(?![\\w:])");

    static final Detector DETECTOR = new Detector(Category.IP, IpAddresses::mayStart,
            List.of(new Detector.Shape(V4, IpAddresses::checkV4), new Detector.Shape(V6, IpAddresses::checkV6)));

    private IpAddresses() {
    }

    /** A digit, or a hex digit or colon with a colon among the next five characters. */
    private static boolean mayStart(String text, int i) {
        char b = Detector.before(text, i);
        if (Detector.isWordChar(b) || b == '.') {
            return false;
        }
        char c = text.charAt(i);
        if (Detector.isAsciiDigit(c)) {
            return true;
        }
        if (!isHex(c) && c != ':') {
            return false;
        }
        int limit = Math.min(text.length(), i + 5);
        for (int j = i; j < limit; j++) {
            if (text.charAt(j) == ':') {
                return true;
            }
        }
        return false;
    }

    private static Span checkV4(String text, Matcher m) {
        return ipv4(m.group()) ? new Span(m.start(), m.end(), Category.IP) : null;
    }

    private static Span checkV6(String text, Matcher m) {
        int end = m.end();
        // A sentence may end right after an address ("... from ::1."), or a colon may follow it.
        while (end > m.start() && text.charAt(end - 1) == '.') {
            end--;
        }
        if (end - m.start() > 2 && text.charAt(end - 1) == ':' && text.charAt(end - 2) != ':') {
            end--;
        }
        return end > m.start() && ipv6(text.substring(m.start(), end)) ? new Span(m.start(), end, Category.IP) : null;
    }

    static boolean ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean ipv6(String s) {
        int groups = 8;
        String head = s;
        int lastColon = s.lastIndexOf(':');
        if (lastColon < 0) {
            return false;
        }
        if (s.indexOf('.') >= 0) {
            if (!ipv4(s.substring(lastColon + 1))) {
                return false;
            }
            groups = 6;
            head = s.endsWith("::" + s.substring(lastColon + 1)) ? s.substring(0, lastColon + 1) : s.substring(0, lastColon);
        }
        int gap = head.indexOf("::");
        if (gap < 0) {
            return hexGroups(head) == groups;
        }
        if (head.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        int left = gap == 0 ? 0 : hexGroups(head.substring(0, gap));
        int right = gap + 2 == head.length() ? 0 : hexGroups(head.substring(gap + 2));
        boolean hasDigit = s.chars().anyMatch(c -> c >= '0' && c <= '9');
        return left >= 0 && right >= 0 && left + right < groups && hasDigit;
    }

    /** The number of {@code :}-separated groups of 1–4 hex digits, or -1 if any is malformed. */
    private static int hexGroups(String s) {
        String[] parts = s.split(":", -1);
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(IpAddresses::isHex)) {
                return -1;
            }
        }
        return parts.length;
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
