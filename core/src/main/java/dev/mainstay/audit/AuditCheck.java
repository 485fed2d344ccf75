package dev.mainstay.audit;

/** What verifying the audit chain found. */
public sealed interface AuditCheck {
    /**
     * Every record links to the one before it and matches its hash.
     *
     * @param records the records on file
     * @param checkpoint the position of the last record a cut removed, from whose hash the chain
     *     verifies; 0 when the log was never cut and starts at its first record
     */
    record Intact(long records, String headHash, long checkpoint) implements AuditCheck {
        public Intact(long records, String headHash) {
            this(records, headHash, 0);
        }
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
