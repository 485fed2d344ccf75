package dev.mainstay.audit;

/** What verifying the audit chain found. */
public sealed interface AuditCheck {
    /** Every record links to the one before it and matches its hash. */
    record Intact(long records, String headHash) implements AuditCheck {
    }

    /**
     * The first record at which the chain breaks.
     *
     * @param seq the position of the first record that does not check out
     * @param problem what is wrong there, for a person to read
     */
    record Broken(long seq, Problem kind, String problem) implements AuditCheck {
    }

    /**
     * The kinds of breakage: a record whose content changed, records gone, records moved, or a
     * checkpoint the chain starts from that no {@code audit.cut} record vouches for.
     */
    enum Problem {
        EDITED, MISSING, OUT_OF_ORDER, UNANCHORED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
