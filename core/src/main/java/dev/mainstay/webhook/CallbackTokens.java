package dev.mainstay.webhook;

import dev.mainstay.ContentHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The single-use tokens of callback tool stages, carried in the callback URL
 * ({@code /v1/callbacks/<token>}): {@code cb} + 32 hex digits of randomness + 32 hex digits of its
 * HMAC under the node's secrets key. A forged token fails the HMAC before anything is read; a real
 * one is looked up by its SHA-256 (the store never holds the token itself), which says which job and
 * stage it resumes, until when, and whether it was used.
 */
public final class CallbackTokens {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    private static final String PREFIX = "cb";
    private static final int PART = 32;

    private final SecretBox box;

    public CallbackTokens(SecretBox box) {
        this.box = box;
    }

    /** A new token. */
    public String issue() {
        byte[] random = new byte[PART / 2];
        RANDOM.nextBytes(random);
        String nonce = HEX.formatHex(random);
        return PREFIX + nonce + mac(nonce);
    }

    /** Whether {@code token} is one this deployment issued (its HMAC holds); says nothing of its use or expiry. */
    public boolean authentic(String token) {
        if (token == null || token.length() != PREFIX.length() + 2 * PART || !token.startsWith(PREFIX)) {
            return false;
        }
        String nonce = token.substring(PREFIX.length(), PREFIX.length() + PART);
        String mac = token.substring(PREFIX.length() + PART);
        return MessageDigest.isEqual(mac(nonce).getBytes(StandardCharsets.US_ASCII), mac.getBytes(StandardCharsets.US_ASCII));
    }

    /** What the store keeps of a token: its SHA-256, in hex. */
    public static String hash(String token) {
        return ContentHash.sha256(token);
    }

    private String mac(String nonce) {
        return HEX.formatHex(box.tokenMac(nonce.getBytes(StandardCharsets.US_ASCII)), 0, PART / 2);
    }
}
