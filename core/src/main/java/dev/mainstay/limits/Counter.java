package dev.mainstay.limits;

import java.util.Optional;

/**
 * The arithmetic of one budget counter: what calls have settled ({@code spent}) and what calls in
 * flight hold ({@code reserved}). Stores keep a row of these per scope and change it only through
 * these methods, inside the transaction that also records the reservation or the charge.
 *
 * <p>The invariant a budget gives: a reservation is only granted while
 * {@code spent + reserved + amount <= max}, so as long as no call costs more than it reserved,
 * {@code spent} never passes {@code max}; a call that does cost more overshoots by that difference
 * alone.
 */
public record Counter(long spent, long reserved) {
    public static final Counter ZERO = new Counter(0, 0);

    public Counter {
        if (spent < 0 || reserved < 0) {
            throw new IllegalArgumentException("a counter is never negative: spent " + spent + ", reserved " + reserved);
        }
    }

    /** This counter with {@code amount} more reserved, or empty if that would pass {@code max}. */
    public Optional<Counter> reserve(long amount, long max) {
        if (amount < 0) {
            throw new IllegalArgumentException("amount must not be negative: " + amount);
        }
        if (spent > max || reserved > max - spent || amount > max - spent - reserved) {
            return Optional.empty();
        }
        return Optional.of(new Counter(spent, reserved + amount));
    }

    /**
     * Whether a refused {@code amount} could fit once the calls in flight settle: if not, the
     * refusal is final for this period.
     */
    public boolean couldFitLater(long amount, long max) {
        return spent <= max && amount <= max - spent;
    }

    /** The call that held {@code held} finished and cost {@code actual}. */
    public Counter settle(long held, long actual) {
        if (held < 0 || actual < 0) {
            throw new IllegalArgumentException("held and actual must not be negative");
        }
        return new Counter(Math.addExact(spent, actual), Math.max(0, reserved - held));
    }

    /** The call that held {@code held} never reported back; its hold is given up. */
    public Counter release(long held) {
        if (held < 0) {
            throw new IllegalArgumentException("held must not be negative: " + held);
        }
        return new Counter(spent, Math.max(0, reserved - held));
    }

    /** Settled and held together: what counts against a limit now. */
    public long used() {
        return Math.addExact(spent, reserved);
    }
}
