package dev.mainstay.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The SSRF guard for URLs Mainstay calls on a configuration's behalf (tools, webhooks): refuses
 * loopback, private, link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT,
 * unique-local, multicast and unspecified addresses unless private hosts are explicitly allowed.
 *
 * <p>Two checks. {@link #policyRefusal} needs no network: scheme, host, credentials, and the
 * address itself when the host is written as one (or is {@code localhost}); it is what loading a
 * configuration checks, so a build without network can validate. {@link #refusal} adds what the
 * host resolves to now, and is checked before every call, since what a name resolves to can change.
 */
public final class OutboundGuard {
    private static final java.util.regex.Pattern IPV4_LITERAL = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private OutboundGuard() {
    }

    /** Why {@code url} may not be called, its host resolved now; {@code null} when it may. */
    public static String refusal(URI url, boolean allowPrivate) {
        String refused = policyRefusal(url, allowPrivate);
        if (refused != null || allowPrivate) {
            return refused;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(url.getHost());
        } catch (UnknownHostException e) {
            return "the host '" + url.getHost() + "' does not resolve";
        }
        List<String> restricted = new ArrayList<>();
        for (InetAddress a : addresses) {
            String kind = restricted(a);
            if (kind != null) {
                restricted.add(a.getHostAddress() + " (" + kind + ")");
            }
        }
        return restricted.isEmpty() ? null : "'" + url.getHost() + "' resolves to " + String.join(", ", restricted)
                + "; calls to private networks are refused unless the configuration allows them (allow_private: true)";
    }

    /**
     * Why {@code url} may not be called, judged without the network: {@code null} when nothing
     * written in it is refused. A host name is not resolved; {@link #refusal} does that per call.
     */
    public static String policyRefusal(URI url, boolean allowPrivate) {
        if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
            return "only http and https URLs are called, got '" + url + "'";
        }
        if (url.getHost() == null || url.getHost().isBlank()) {
            return "the URL has no host: '" + url + "'";
        }
        if (url.getUserInfo() != null) {
            return "credentials in the URL are refused; put them in the tool's headers";
        }
        if (allowPrivate) {
            return null;
        }
        String host = url.getHost().toLowerCase(java.util.Locale.ROOT);
        String kind = null;
        if (host.equals("localhost") || host.endsWith(".localhost")) {
            kind = "loopback"; // RFC 6761: such names resolve to loopback, whatever a resolver says
        } else if (host.startsWith("[") || IPV4_LITERAL.matcher(host).matches()) {
            try {
                // A literal is parsed, never looked up.
                kind = restricted(InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host));
            } catch (UnknownHostException e) {
                return "the host '" + url.getHost() + "' is not a valid address";
            }
        }
        return kind == null ? null : "'" + url.getHost() + "' is a " + kind + " address"
                + "; calls to private networks are refused unless the configuration allows them (allow_private: true)";
    }

    /** The kind of restricted range {@code a} is in, or {@code null} for a public address. */
    public static String restricted(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isAnyLocalAddress()) {
            return "unspecified";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local";
        }
        if (a.isMulticastAddress()) {
            return "multicast";
        }
        if (a.isSiteLocalAddress()) {
            return "private";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 100 && second >= 64 && second <= 127) {
                return "carrier-grade NAT";
            }
            if (first == 0) {
                return "unspecified";
            }
            if (first == 198 && (second == 18 || second == 19)) {
                return "benchmarking";
            }
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return "unique-local";
            }
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return restricted(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return "unparseable";
                }
            }
        }
        return null;
    }
}
