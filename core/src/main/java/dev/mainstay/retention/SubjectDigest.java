package dev.mainstay.retention;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;

/**
 * The keyed digest of a subject identifier (an email, a customer id): what the store indexes a
 * job under and what an erasure by subject looks up, so that neither the index nor the audit log
 * holds the value itself, and a digest found there cannot be tested against guessed values
 * without the database's key.
 *
 * <p>Values are compared after trimming and lower-casing: {@code Ada@Example.com } and
 * {@code ada@example.com} are the same subject.
 */
public final class SubjectDigest {
    private final SecretKeySpec key;

    /** @param key the database's subject key ({@link dev.mainstay.store.ErasureStore#subjectKey()}), at least 32 bytes */
    public SubjectDigest(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a subject key needs at least 32 bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** The digest of {@code value}: hex of HMAC-SHA256 over its normal form. */
    public String of(String value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(normal(value).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK; its absence indicates a broken runtime", e);
        }
    }

    /**
     * The digest of the subject at {@code pointer} in {@code input}, or null when the input has no
     * text or number there (an optional field left out).
     */
    public String of(JsonNode input, String pointer) {
        JsonNode at = input.at(pointer);
        if (at.isString() || at.isNumber()) {
            String text = at.asString();
            return normal(text).isEmpty() ? null : of(text);
        }
        return null;
    }

    static String normal(String value) {
        return value.strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "SubjectDigest[key hidden]";
    }
}
