package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;

import dev.mainstay.ErrorCode;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.ApiKeys;
import dev.mainstay.access.Principal;
import dev.mainstay.store.Store;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's {@code Authorization: Bearer <key>} into a {@link Principal}. Keys are found by
 * the SHA-256 of the secret and the stored hash is compared in constant time; revoked and expired
 * keys are refused. A client address that keeps sending wrong keys is refused with 429 for the rest
 * of its window ({@link AuthThrottle}); a missing header does not count as a failure.
 */
final class Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
    private static final int MAX_SECRET_LENGTH = 512;

    private final Store store;
    private final Clock clock;
    private final AuthThrottle throttle;

    Authenticator(Store store, Clock clock, AuthThrottle throttle) {
        this.store = store;
        this.clock = clock;
        this.throttle = throttle;
    }

    Principal authenticate(ServerRequest req) {
        Optional<String> header = RequestHeaders.single(req, HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            throw refuse(ErrorCode.UNAUTHORIZED, "missing API key: send 'Authorization: Bearer <api key>'");
        }
        String address = clientAddress(req);
        Optional<Duration> wait = throttle.blocked(address);
        if (wait.isPresent()) {
            throw new ApiException(new Problem(429, ErrorCode.RATE_LIMITED, "too many failed authentications from this address; retry after "
                    + Problem.seconds(wait.get()) + "s", true, wait, java.util.List.of()));
        }
        String value = header.get().strip();
        if (value.length() < 8 || !value.substring(0, 7).equalsIgnoreCase("bearer ")) {
            throw failed(address, "the Authorization header must be 'Bearer <api key>'");
        }
        String secret = value.substring(7).strip();
        if (secret.isEmpty() || secret.length() > MAX_SECRET_LENGTH) {
            throw failed(address, "the API key is not valid");
        }
        String hash = ApiKeys.hash(secret);
        Optional<ApiKey> found = store.apiKeyByHash(hash);
        // The look-up is by hash already; comparing again in constant time keeps a timing
        // difference in the store's index from ever telling a caller how close a guess was.
        if (found.isEmpty() || !MessageDigest.isEqual(found.get().hash().getBytes(StandardCharsets.US_ASCII), hash.getBytes(StandardCharsets.US_ASCII))) {
            throw failed(address, "the API key is not valid (unknown, revoked or expired)");
        }
        ApiKey key = found.get();
        Instant now = clock.instant();
        if (!key.usableAt(now)) {
            throw failed(address, key.revokedAt() != null
                    ? "the API key " + key.prefix() + "… was revoked at " + key.revokedAt()
                    : "the API key " + key.prefix() + "… expired at " + key.expiresAt());
        }
        return key.principal();
    }

    Principal admin(ServerRequest req) {
        Principal p = authenticate(req);
        if (!p.admin()) {
            throw refuse(ErrorCode.FORBIDDEN, "this endpoint needs an admin key; the key sent belongs to an account");
        }
        return p;
    }

    private ApiException failed(String address, String detail) {
        throttle.failed(address);
        LOG.debug("failed authentication from {}: {}", address, detail);
        return refuse(ErrorCode.UNAUTHORIZED, detail);
    }

    /** The peer's IP address. Forwarding headers are not trusted: any client can set them. */
    private static String clientAddress(ServerRequest req) {
        try {
            if (req.remotePeer().address() instanceof InetSocketAddress a && a.getAddress() != null) {
                return a.getAddress().getHostAddress();
            }
            return req.remotePeer().host();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }
}
