package dev.mainstay.webhook;

import dev.mainstay.ConfigException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * A Standard Webhooks signing secret: {@code whsec_} followed by the base64 of 24 to 64 random
 * bytes. The bytes after the prefix are the HMAC key. {@link #toString()} never shows the secret,
 * so a secret that reaches a log line by mistake prints as {@code whsec_…}.
 */
public final class SigningSecret {
    public static final String PREFIX = "whsec_";
    private static final int GENERATED_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;

    private SigningSecret(byte[] key) {
        this.key = key.clone();
    }

    /** A fresh secret of 32 random bytes. */
    public static SigningSecret generate() {
        byte[] key = new byte[GENERATED_BYTES];
        RANDOM.nextBytes(key);
        return new SigningSecret(key);
    }

    /**
     * Reads {@code whsec_<base64>}; the prefix may be left out, as the Standard Webhooks libraries
     * allow.
     *
     * @throws ConfigException when the text is not base64 of 24 to 64 bytes (the message never repeats the secret)
     */
    public static SigningSecret parse(String text) {
        String b64 = text.startsWith(PREFIX) ? text.substring(PREFIX.length()) : text;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(b64.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("a signing secret must be 'whsec_' followed by base64; this one is not base64");
        }
        if (key.length < 24 || key.length > 64) {
            throw new ConfigException("a signing secret must hold 24 to 64 bytes; this one holds " + key.length);
        }
        return new SigningSecret(key);
    }

    /** The secret as it is shown once to its owner and sealed at rest: {@code whsec_<base64>}. */
    public String reveal() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningSecret s && java.security.MessageDigest.isEqual(key, s.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return PREFIX + "…";
    }
}
