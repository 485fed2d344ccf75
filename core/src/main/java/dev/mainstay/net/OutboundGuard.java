package dev.mainstay.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The SSRF guard for URLs Mainstay calls on a configuration's behalf (tools, webhooks): resolves
 * the host and refuses loopback, private, link-local (cloud metadata lives at 169.254.169.254),
 * carrier-grade NAT, unique-local, multicast and unspecified addresses unless private hosts are
 * explicitly allowed. Checked when the configuration loads and again before every call, since
 * what a name resolves to can change.
 */
public final class OutboundGuard {
    private OutboundGuard() {
    }

    /** Why {@code url} may not be called, or {@code null} when it may. */
    public static String refusal(URI url, boolean allowPrivate) {
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
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(url.getHost());
        } catch (UnknownHostException e) {
            return "the host '" + url.getHost() + "' does not resolve";
        }
        List<String> refused = new ArrayList<>();
        for (InetAddress a : addresses) {
            String kind = restricted(a);
            if (kind != null) {
                refused.add(a.getHostAddress() + " (" + kind + ")");
            }
        }
        return refused.isEmpty() ? null : "'" + url.getHost() + "' resolves to " + String.join(", ", refused)
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
