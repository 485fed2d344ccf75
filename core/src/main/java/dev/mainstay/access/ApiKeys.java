package dev.mainstay.access;

import dev.mainstay.ContentHash;
import java.security.SecureRandom;

/**
 * Makes and hashes API key secrets. A secret looks like {@code ms_live_<32 base32 chars>} (160 bits
 * of randomness); admin secrets start with {@code ms_admin_}.
 */
public final class ApiKeys {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    public static String newSecret(boolean admin) {
        StringBuilder out = new StringBuilder(admin ? "ms_admin_" : "ms_live_");
        for (int i = 0; i < 32; i++) {
            out.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return out.toString();
    }

    /** What is stored and looked up; the secret itself never is. */
    public static String hash(String secret) {
        return ContentHash.sha256("mainstay-api-key:" + secret);
    }

    /** The part of a secret that is safe to show: enough to recognise it in a list. */
    public static String prefix(String secret) {
        return secret.substring(0, Math.min(secret.length(), 14));
    }
}
