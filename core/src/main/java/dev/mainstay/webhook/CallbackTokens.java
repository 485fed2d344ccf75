package dev.mainstay.webhook;

import dev.mainstay.ContentHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The single-use tokens of callback tool stages, carried in the callback URL
 * ({@code /v1/callbacks/<token>}): {@code cb} + 32 hex digits of a nonce + 32 hex digits of the
 * nonce's HMAC under the node's secrets key. A forged token fails the HMAC before anything is read;
 * a real one is looked up by its SHA-256 (the store never holds the token itself), which says which
 * job and stage it resumes, until when, and whether it was used.
 *
 * <p>The nonce is itself an HMAC of the job and stage, so a stage's request sent again (after a
 * crash, on another node) carries the same callback URL as the first time: an integration that drops
 * the repeat by its idempotency key still calls back a URL that works.
 */
public final class CallbackTokens {
    private static final HexFormat HEX = HexFormat.of();
    private static final String PREFIX = "cb";
    private static final int PART = 32;

    private final SecretBox box;

    public CallbackTokens(SecretBox box) {
        this.box = box;
    }

    /** The token of stage {@code stageIndex} of job {@code jobId}: the same every time it is asked for. */
    public String forStage(String jobId, int stageIndex) {
        String nonce = HEX.formatHex(box.tokenMac(("nonce/" + jobId + "/" + stageIndex).getBytes(StandardCharsets.UTF_8)), 0, PART / 2);
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
