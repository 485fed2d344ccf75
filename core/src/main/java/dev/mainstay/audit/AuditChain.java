package dev.mainstay.audit;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The hash chain of the audit log. Each record's hash covers its position, its content and the
 * hash of the record before it, so changing, removing or reordering any record breaks every link
 * after it; {@link #verify} reports the first.
 */
public final class AuditChain {
    /** The {@code prevHash} of the first record. */
    public static final String GENESIS = "0".repeat(64);

    private AuditChain() {
    }

    private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Times as kept: fixed-width UTC text to the millisecond, which sorts as it reads. */
    public static String at(Instant t) {
        Instant ms = t.truncatedTo(ChronoUnit.MILLIS);
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(ms.getEpochSecond(), ms.getNano(), ZoneOffset.UTC);
        if (d.getYear() < 1 || d.getYear() > 9999) {
            return AT.format(ms); // the formatter's own spelling of years before 1 (of their era) and beyond four digits
        }
        // Written by hand: every audit record formats its time, and the formatter is most of that.
        char[] out = new char[24];
        digits(out, 0, d.getYear(), 4);
        out[4] = '-';
        digits(out, 5, d.getMonthValue(), 2);
        out[7] = '-';
        digits(out, 8, d.getDayOfMonth(), 2);
        out[10] = 'T';
        digits(out, 11, d.getHour(), 2);
        out[13] = ':';
        digits(out, 14, d.getMinute(), 2);
        out[16] = ':';
        digits(out, 17, d.getSecond(), 2);
        out[19] = '.';
        digits(out, 20, d.getNano() / 1_000_000, 3);
        out[23] = 'Z';
        return new String(out);
    }

    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** The columns an event is stored as. */
    public static AuditRecord.Stored stored(AuditEvent e) {
        return new AuditRecord.Stored(at(e.at()), e.actor(), e.action().wire(), e.accountId(), e.subject(), e.details() == null ? null : Json.write(e.details()));
    }

    /** SHA-256 over a canonical, unambiguous encoding of the stored columns (each length-prefixed). */
    public static String hash(long seq, String prevHash, AuditRecord.Stored s, String jobId) {
        StringBuilder out = new StringBuilder("mainstay-audit-v1");
        for (String field : new String[] {Long.toString(seq), prevHash, s.at(), s.actor(), s.action(), s.accountId(), s.subject(), jobId, s.details()}) {
            if (field == null) {
                out.append("|-");
            } else {
                out.append('|').append(field.length()).append(':').append(field);
            }
        }
        return ContentHash.sha256(out.toString());
    }

    /**
     * Verifies records read in {@code seq} order.
     *
     * @param locate finds the position of the record with a given hash, to tell a moved record
     *     from a missing one once a link is broken
     */
    public static AuditCheck verify(Iterator<AuditRecord> records, Function<String, OptionalLong> locate) {
        return verify(records, locate, 0, GENESIS);
    }

    /**
     * Verifies records read in {@code seq} order that start after a cut: the first must be record
     * {@code afterSeq + 1} and link to {@code headHash}, and an {@code audit.cut} record among them
     * must name that very checkpoint, so a checkpoint slipped in by hand to hide removed records
     * does not verify.
     */
    public static AuditCheck verify(Iterator<AuditRecord> records, Function<String, OptionalLong> locate, long afterSeq, String headHash) {
        String prev = headHash;
        long expected = afterSeq + 1;
        boolean anchored = afterSeq == 0;
        while (records.hasNext()) {
            AuditRecord r = records.next();
            if (r.seq() != expected) {
                return r.seq() > expected
                        ? new AuditCheck.Broken(expected, AuditCheck.Problem.MISSING, "records " + expected + (r.seq() - 1 > expected ? " to " + (r.seq() - 1) : "") + " are gone: the next one on file is " + r.seq())
                        : new AuditCheck.Broken(r.seq(), AuditCheck.Problem.OUT_OF_ORDER, "record " + r.seq() + " appears again after record " + (expected - 1));
            }
            if (!r.prevHash().equals(prev)) {
                OptionalLong at = locate.apply(r.prevHash());
                Long links = at.isPresent() ? at.getAsLong() : null;
                String problem = links != null
                        ? "record " + r.seq() + " links to record " + links + ", not to record " + (r.seq() - 1) + ": records were reordered"
                        : "record " + r.seq() + " does not link to record " + (r.seq() - 1) + ": a record before it was replaced or removed";
                return new AuditCheck.Broken(r.seq(), links != null ? AuditCheck.Problem.OUT_OF_ORDER : AuditCheck.Problem.MISSING, problem);
            }
            String actual = hash(r.seq(), r.prevHash(), r.stored(), r.jobId());
            if (!actual.equals(r.hash())) {
                return new AuditCheck.Broken(r.seq(), AuditCheck.Problem.EDITED, "record " + r.seq() + " (" + r.stored().action()
                        + ") does not match its hash: its content was changed after it was written");
            }
            if (!anchored && AuditAction.AUDIT_CUT.wire().equals(r.stored().action()) && r.event().details() != null
                    && r.event().details().path("through_seq").asLong(-1) == afterSeq && headHash.equals(r.event().details().path("head_hash").asString(""))) {
                anchored = true;
            }
            prev = r.hash();
            expected++;
        }
        if (!anchored) {
            return new AuditCheck.Broken(afterSeq + 1, AuditCheck.Problem.UNANCHORED, "the chain starts after a checkpoint at record " + afterSeq
                    + " that no audit.cut record names: records were removed and a checkpoint put in their place");
        }
        return new AuditCheck.Intact(expected - 1 - afterSeq, prev, afterSeq);
    }
}
