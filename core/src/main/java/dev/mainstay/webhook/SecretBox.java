package dev.mainstay.webhook;

import dev.mainstay.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the secrets Mainstay must be able to read back (an endpoint's signing secret: an HMAC needs
 * the key itself, so it cannot be hashed) with AES-256-GCM under the node's secrets key, and signs
 * callback tokens with an HMAC derived from the same key. A sealed value is {@code v1.<base64 of
 * nonce + ciphertext + tag>}; the row it belongs to is bound in as associated data, so a sealed
 * secret copied onto another endpoint's row does not open.
 *
 * <p>Every node of a cluster needs the same key ({@code MAINSTAY_SECRETS_KEY}, 32 bytes in base64).
 */
public final class SecretBox {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final byte[] tokenKey;

    private SecretBox(byte[] key) {
        if (key.length != 32) {
            throw new ConfigException("the secrets key must be 32 bytes (base64 of 32 random bytes); it holds " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
        this.tokenKey = hmac(key, "mainstay callback tokens".getBytes(StandardCharsets.UTF_8));
    }

    /** The box for a key given as base64 of 32 bytes. */
    public static SecretBox of(String base64Key) {
        try {
            return new SecretBox(Base64.getDecoder().decode(base64Key.strip()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("the secrets key must be base64 of 32 random bytes; it is not base64");
        }
    }

    /** A fresh key, base64 of 32 random bytes. */
    public static String newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Seals {@code plain} for the row {@code boundTo} (e.g. the endpoint's id and the secret's id). */
    public String seal(String plain, String boundTo) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return "v1." + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK; its failure indicates a broken runtime", e);
        }
    }

    /**
     * Opens what {@link #seal} made for {@code boundTo}.
     *
     * @throws IllegalStateException when it was sealed under another key or for another row (the message holds neither value)
     */
    public String open(String sealed, String boundTo) {
        if (!sealed.startsWith("v1.")) {
            throw new IllegalStateException("a sealed secret of " + boundTo + " is not in the v1 format");
        }
        try {
            byte[] all = Base64.getDecoder().decode(sealed.substring(3));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
            c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
            return new String(c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("the sealed secret of " + boundTo + " does not open with this node's secrets key "
                    + "(every node of a cluster needs the same MAINSTAY_SECRETS_KEY)");
        }
    }

    /** The HMAC-SHA256 of {@code data} under the callback token key. */
    byte[] tokenMac(byte[] data) {
        return hmac(tokenKey, data);
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK; its failure indicates a broken runtime", e);
        }
    }

    @Override
    public String toString() {
        return "SecretBox[key hidden]";
    }
}
