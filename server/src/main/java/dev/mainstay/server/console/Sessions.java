package dev.mainstay.server.console;

import dev.mainstay.access.ApiKey;
import dev.mainstay.access.ApiKeys;
import dev.mainstay.access.Principal;
import dev.mainstay.store.Store;
import dev.mainstay.webhook.SecretBox;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The console's sign-in: an API key exchanged for a session cookie that carries the key's id, never
 * the key. The cookie is sealed (AES-GCM) with the node's secrets key, so every node of a cluster
 * opens it and nothing is stored; it holds the account, the key id, its expiry and the session's
 * CSRF token. Each request looks the key up again, so revoking or expiring a key ends its sessions.
 */
final class Sessions {
    static final String COOKIE = "mainstay_console";
    static final Duration LIFETIME = Duration.ofHours(8);
    /** The sign-in form's double-submit cookie, sent back only to the sign-in path. */
    static final String SIGN_IN_COOKIE = "mainstay_console_signin";
    static final Duration SIGN_IN_LIFETIME = Duration.ofHours(1);
    private static final String BOUND_TO = "console-session";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A signed-in browser: who, until when, and the token its forms must send back. */
    record Session(String accountId, String keyId, Instant expiresAt, String csrf, Principal principal) {
    }

    private final SecretBox box;
    private final Store store;
    private final Clock clock;

    Sessions(SecretBox box, Store store, Clock clock) {
        this.box = box;
        this.store = store;
        this.clock = clock;
    }

    /** The key behind {@code secret}, if it is a usable key. */
    Optional<ApiKey> key(String secret) {
        if (secret == null || secret.isBlank() || secret.length() > 512) {
            return Optional.empty();
        }
        String hash = ApiKeys.hash(secret.strip());
        return store.apiKeyByHash(hash)
                .filter(k -> MessageDigest.isEqual(k.hash().getBytes(StandardCharsets.US_ASCII), hash.getBytes(StandardCharsets.US_ASCII)))
                .filter(k -> k.usableAt(clock.instant()));
    }

    /** A new session's cookie value for {@code key}. */
    String open(ApiKey key) {
        byte[] csrf = new byte[24];
        RANDOM.nextBytes(csrf);
        Instant expires = clock.instant().plus(LIFETIME);
        String plain = key.accountId() + "\n" + key.id() + "\n" + expires.getEpochSecond() + "\n" + Base64.getUrlEncoder().withoutPadding().encodeToString(csrf);
        return box.seal(plain, BOUND_TO).substring(3).replace('+', '-').replace('/', '_').replace("=", "");
    }

    /** The session a cookie value stands for, while it has not expired and its key is still usable. */
    Optional<Session> session(String cookie) {
        if (cookie == null || cookie.isEmpty() || cookie.length() > 1000) {
            return Optional.empty();
        }
        String plain;
        try {
            String b64 = cookie.replace('-', '+').replace('_', '/');
            b64 = b64 + "=".repeat((4 - b64.length() % 4) % 4);
            plain = box.open("v1." + b64, BOUND_TO);
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
        String[] parts = plain.split("\n", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        Instant expires;
        try {
            expires = Instant.ofEpochSecond(Long.parseLong(parts[2]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (!now.isBefore(expires)) {
            return Optional.empty();
        }
        return store.apiKeys(parts[0]).stream().filter(k -> k.id().equals(parts[1]) && k.usableAt(now)).findFirst()
                .map(k -> new Session(parts[0], parts[1], expires, parts[3], k.principal()));
    }

    /** A new random token for one showing of the sign-in form. */
    static String signInToken() {
        byte[] token = new byte[24];
        RANDOM.nextBytes(token);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    }

    /** Whether the sign-in form's field repeats its cookie, compared in constant time. */
    static boolean signInTokenMatches(String cookie, String sent) {
        return cookie != null && sent != null && cookie.length() >= 32
                && MessageDigest.isEqual(cookie.getBytes(StandardCharsets.US_ASCII), sent.getBytes(StandardCharsets.US_ASCII));
    }

    /** Whether {@code sent} is the session's CSRF token, compared in constant time. */
    static boolean csrfMatches(Session session, String sent) {
        return sent != null && MessageDigest.isEqual(session.csrf().getBytes(StandardCharsets.US_ASCII), sent.getBytes(StandardCharsets.US_ASCII));
    }

}
