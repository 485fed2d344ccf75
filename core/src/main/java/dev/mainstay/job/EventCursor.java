package dev.mainstay.job;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a reader of every job's events stands: the last event it read, in the order in which
 * events became visible (on PostgreSQL the writing transaction's id, then the event's sequence
 * number; on SQLite, whose one writer commits in sequence order, the sequence number alone with
 * {@code tx} 0). Clients see it as an opaque string, {@code <tx>-<seq>}, and send it back to resume.
 */
public record EventCursor(long tx, long seq) implements Comparable<EventCursor> {
    /** Before every event. */
    public static final EventCursor START = new EventCursor(0, 0);
    private static final Pattern WIRE = Pattern.compile("(\\d{1,18})-(\\d{1,18})");

    public EventCursor {
        if (tx < 0 || seq < 0) {
            throw new IllegalArgumentException("an event cursor is two numbers of at least 0, not " + tx + "-" + seq);
        }
    }

    /** The cursor as clients see it. */
    public String wire() {
        return tx + "-" + seq;
    }

    /** The cursor {@code text} stands for, if it is one. */
    public static Optional<EventCursor> parse(String text) {
        Matcher m = text == null ? null : WIRE.matcher(text.strip());
        return m != null && m.matches() ? Optional.of(new EventCursor(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)))) : Optional.empty();
    }

    @Override
    public int compareTo(EventCursor o) {
        int byTx = Long.compare(tx, o.tx);
        return byTx != 0 ? byTx : Long.compare(seq, o.seq);
    }

    public boolean isAfter(EventCursor o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return wire();
    }
}
