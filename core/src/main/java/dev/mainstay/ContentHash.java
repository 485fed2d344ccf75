package dev.mainstay;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 content hashes, the identity of stored payloads, prompts, schemas and definitions. */
public final class ContentHash {
    private ContentHash() {
    }

    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256(byte[] bytes) {
        return HEX.formatHex(digest().digest(bytes));
    }

    private static final HexFormat HEX = HexFormat.of();
    /**
     * Cloned for each hash: a clone is a copy of a few words, where a look-up by name walks the
     * security providers, and several audit records and payloads are hashed per job.
     */
    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            try {
                return MessageDigest.getInstance("SHA-256"); // a provider whose digest cannot be cloned
            } catch (NoSuchAlgorithmException missing) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", missing);
            }
        }
    }

    /** The first 12 hex digits, enough to tell versions apart in provenance and messages. */
    public static String shortForm(String hash) {
        return hash.length() <= 12 ? hash : hash.substring(0, 12);
    }
}
