package dev.mainstay.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} + base64 of HMAC-SHA256 over
 * {@code <webhook-id>.<webhook-timestamp>.<body>}, several of them separated by spaces in one
 * {@code webhook-signature} header while a secret is being rotated. Verification compares in
 * constant time and refuses a timestamp further than the tolerance from now either way, so a
 * captured request cannot be replayed later.
 */
public final class Signatures {
    /** How far a {@code webhook-timestamp} may be from now; the Standard Webhooks libraries use five minutes. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private Signatures() {
    }

    /** One signature, {@code v1,<base64>}, of {@code body} sent as message {@code id} at {@code timestamp} (Unix seconds). */
    public static String sign(SigningSecret secret, String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK; its absence indicates a broken runtime", e);
        }
    }

    /** The {@code webhook-signature} header: one signature per secret, in order, separated by spaces. */
    public static String header(List<SigningSecret> secrets, String id, long timestamp, byte[] body) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("message " + id + " has no secret to be signed with. Indicates a bug.");
        }
        List<String> out = new ArrayList<>();
        for (SigningSecret s : secrets) {
            out.add(sign(s, id, timestamp, body));
        }
        return String.join(" ", out);
    }

    /** Why a signed request was refused; each is a stable reason its problem names. */
    public enum Refusal {
        /** A {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} header is missing or empty. */
        MISSING_HEADERS,
        /** The timestamp is not a whole number of seconds. */
        BAD_TIMESTAMP,
        /** The timestamp is further from now than the tolerance: too old (a replay) or from the future. */
        OUTSIDE_WINDOW,
        /** No {@code v1} signature in the header matches any of the secrets. */
        NO_MATCH
    }

    /**
     * Checks a received request; {@code null} when one of its {@code v1} signatures matches one of
     * {@code secrets} and its timestamp is within {@code tolerance} of {@code now}.
     */
    public static Refusal verify(List<SigningSecret> secrets, String id, String timestamp, String signatures, byte[] body, Instant now,
            Duration tolerance) {
        if (id == null || id.isBlank() || timestamp == null || timestamp.isBlank() || signatures == null || signatures.isBlank()) {
            return Refusal.MISSING_HEADERS;
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return Refusal.BAD_TIMESTAMP;
        }
        if (Math.abs(now.getEpochSecond() - ts) > tolerance.toSeconds()) {
            return Refusal.OUTSIDE_WINDOW;
        }
        for (SigningSecret secret : secrets) {
            byte[] expected = sign(secret, id, ts, body).getBytes(StandardCharsets.US_ASCII);
            for (String candidate : signatures.strip().split(" +")) {
                if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.US_ASCII))) {
                    return null;
                }
            }
        }
        return Refusal.NO_MATCH;
    }
}
