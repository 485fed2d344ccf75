package dev.mainstay.routing;

import dev.mainstay.provider.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this node has learned about each route target: a circuit breaker that opens after
 * {@code failureThreshold} consecutive provider failures and lets one trial call through after
 * {@code cooldown}; the latency of recent successful calls (for the deadline check); and a
 * provider's own "retry after" on rate limits, which keeps the target closed for that long.
 *
 * <p>Asking whether a target takes calls ({@link #refusal}) changes nothing. Only a
 * {@link Permit}, taken right before a call is made, holds a half-open circuit's single trial,
 * and closing the permit gives the trial back unless the call's outcome was recorded: whatever
 * ends an attempt before or during its call (a budget refusal, a redaction block, an interrupt,
 * an exception) can therefore never leave a circuit half-open for good.
 */
public final class TargetHealth {
    public static final int DEFAULT_FAILURE_THRESHOLD = 5;
    public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(30);
    private static final int WINDOW = 100;

    /** A breaker's state, as the admin endpoint shows it. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    /**
     * Why a target takes no calls now, and until when. A rate limit the provider asked for is
     * worth waiting out; an open circuit is a reason to move on to the next target.
     */
    public record Block(String reason, Instant until, boolean circuitOpen) {
    }

    /** What {@link #permit} gave: leave to call, or why not. */
    public sealed interface Admit permits Permit, Refused {
    }

    /** The call may not be made now. */
    public record Refused(Block block) implements Admit {
    }

    /**
     * Leave to make one call to a target. A permit that holds the half-open circuit's trial gives
     * it back on {@link #close} unless an outcome ({@link #success}, {@link #failure},
     * {@link #neutral}) was recorded for the target since; closing twice, or after the outcome,
     * does nothing. Use it in try-with-resources around the call.
     */
    public static final class Permit implements Admit, AutoCloseable {
        private final Entry entry;
        private final Target target;
        private final boolean trial;

        private Permit(Entry entry, Target target, boolean trial) {
            this.entry = entry;
            this.target = target;
            this.trial = trial;
        }

        /** Whether this permit holds the trial call of a half-open circuit. */
        public boolean trial() {
            return trial;
        }

        public Target target() {
            return target;
        }

        @Override
        public void close() {
            if (!trial) {
                return;
            }
            synchronized (entry) {
                // Only our own trial: after our outcome was recorded, a later permit may hold the next one.
                if (entry.trialHolder == this) {
                    entry.trialHolder = null;
                }
            }
        }
    }

    /** One failed call to a target as this node saw it: when, of what kind ({@code rate_limited}, {@code transient}, {@code timed_out}, {@code fatal}), and the provider's words. */
    public record Failure(Target target, Instant at, String kind, String detail) {
    }

    /** How many failed calls each target remembers, newest first. */
    static final int RECENT_FAILURES = 10;
    /** The longest detail kept: a provider's error body can be long, and the page shows a line. */
    private static final int DETAIL_CHARS = 300;

    /** A point-in-time view of one target. */
    public record Snapshot(Target target, State state, int consecutiveFailures, Instant openUntil, Optional<Duration> p95, long calls, long failures) {
    }

    private final Clock clock;
    private final int failureThreshold;
    private final Duration cooldown;
    private final Map<Target, Entry> entries = new ConcurrentHashMap<>();

    public TargetHealth(Clock clock, int failureThreshold, Duration cooldown) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1, got " + failureThreshold);
        }
        this.clock = clock;
        this.failureThreshold = failureThreshold;
        this.cooldown = cooldown;
    }

    private static final class Entry {
        int consecutiveFailures;
        Instant openUntil = Instant.EPOCH;
        /** The permit that holds the half-open circuit's trial call, else {@code null}. */
        Permit trialHolder;
        final long[] latencies = new long[WINDOW];
        int latencyCount;
        long calls;
        long failures;
        final java.util.ArrayDeque<Failure> recent = new java.util.ArrayDeque<>(RECENT_FAILURES);
    }

    private Entry entry(Target t) {
        return entries.computeIfAbsent(t, k -> new Entry());
    }

    /**
     * Whether a call to {@code t} could go ahead now, without taking anything: while open, no;
     * once the cooldown has passed, yes unless another call holds the trial (half-open). The call
     * itself must still take a {@link #permit}.
     *
     * @return empty when a call may go ahead, else why not and until when
     */
    public Optional<Block> refusal(Target t) {
        Entry e = entry(t);
        synchronized (e) {
            return block(t, e, clock.instant());
        }
    }

    /**
     * Leave for one call to {@code t}, taken right before the call. A tripped circuit whose
     * cooldown has passed lets exactly one permit through as its trial; the trial is held until
     * the call's outcome is recorded or the permit is closed, whichever is first.
     *
     * <p>A rate limit the provider asked for does not refuse a permit: whether to wait it out is
     * decided before an attempt starts (see {@link #refusal}), and a call inside an attempt that
     * already started (a repair, a function-call round) goes ahead.
     */
    public Admit permit(Target t) {
        Entry e = entry(t);
        synchronized (e) {
            if (e.consecutiveFailures < failureThreshold) {
                return new Permit(e, t, false);
            }
            Optional<Block> block = block(t, e, clock.instant());
            if (block.isPresent()) {
                return new Refused(block.get());
            }
            Permit trial = new Permit(e, t, true);
            e.trialHolder = trial;
            return trial;
        }
    }

    private Optional<Block> block(Target t, Entry e, Instant now) {
        boolean tripped = e.consecutiveFailures >= failureThreshold;
        if (now.isBefore(e.openUntil)) {
            return Optional.of(tripped
                    ? new Block("circuit for " + t + " is open until " + e.openUntil + " after " + e.consecutiveFailures + " consecutive failures", e.openUntil, true)
                    : new Block(t + " asked to wait until " + e.openUntil + " (rate limit)", e.openUntil, false));
        }
        if (tripped && e.trialHolder != null) {
            return Optional.of(new Block("circuit for " + t + " is half-open and its trial call is still running", now.plus(cooldown), true));
        }
        return Optional.empty();
    }

    public void success(Target t, Duration latency) {
        Entry e = entry(t);
        synchronized (e) {
            e.calls++;
            e.consecutiveFailures = 0;
            e.trialHolder = null;
            e.openUntil = Instant.EPOCH;
            e.latencies[e.latencyCount++ % WINDOW] = latency.toMillis();
        }
    }

    /** A failure that says something about the target's health (5xx, overload, timeout, reset, 429). */
    public void failure(Target t, Optional<Duration> retryAfter) {
        Entry e = entry(t);
        synchronized (e) {
            e.calls++;
            e.failures++;
            e.consecutiveFailures++;
            e.trialHolder = null;
            Instant now = clock.instant();
            Instant until = e.openUntil;
            if (e.consecutiveFailures >= failureThreshold) {
                until = now.plus(cooldown);
            }
            if (retryAfter.isPresent() && now.plus(retryAfter.get()).isAfter(until)) {
                until = now.plus(retryAfter.get());
            }
            e.openUntil = until;
        }
    }

    /**
     * Remembers a failed call for {@link #recentFailures()}, whether or not it counts against the
     * breaker (a fatal answer, such as a rejected key, does not, but an operator wants to see it).
     */
    public void remember(Target t, String kind, String detail) {
        String line = detail == null ? "" : detail.strip();
        if (line.length() > DETAIL_CHARS) {
            line = line.substring(0, DETAIL_CHARS) + "…";
        }
        Failure f = new Failure(t, clock.instant(), kind, line);
        Entry e = entry(t);
        synchronized (e) {
            if (e.recent.size() == RECENT_FAILURES) {
                e.recent.removeLast();
            }
            e.recent.addFirst(f);
        }
    }

    /** The last {@link #RECENT_FAILURES} failed calls of every target, newest first. */
    public List<Failure> recentFailures() {
        List<Failure> out = new ArrayList<>();
        entries.forEach((t, e) -> {
            synchronized (e) {
                out.addAll(e.recent);
            }
        });
        out.sort((a, b) -> b.at().compareTo(a.at()));
        return out;
    }

    /** The provider said its budget is used up for {@code wait}: hold calls back, without counting a failure. */
    public void pause(Target t, Duration wait) {
        Entry e = entry(t);
        synchronized (e) {
            Instant until = clock.instant().plus(wait);
            if (until.isAfter(e.openUntil)) {
                e.openUntil = until;
            }
        }
    }

    /** A call that ended without saying anything about health (refusal, 4xx, interrupted). */
    public void neutral(Target t) {
        Entry e = entry(t);
        synchronized (e) {
            e.calls++;
            e.trialHolder = null;
        }
    }

    /** The 95th percentile of recent successful call latencies, once there are at least 5. */
    public Optional<Duration> p95(Target t) {
        Entry e = entry(t);
        long[] copy;
        synchronized (e) {
            int n = Math.min(e.latencyCount, WINDOW);
            if (n < 5) {
                return Optional.empty();
            }
            copy = Arrays.copyOf(e.latencies, n);
        }
        Arrays.sort(copy);
        return Optional.of(Duration.ofMillis(copy[(int) Math.ceil(0.95 * copy.length) - 1]));
    }

    public List<Snapshot> snapshots() {
        List<Snapshot> out = new ArrayList<>();
        Instant now = clock.instant();
        entries.forEach((t, e) -> {
            synchronized (e) {
                State state = now.isBefore(e.openUntil) ? State.OPEN : e.consecutiveFailures >= failureThreshold ? State.HALF_OPEN : State.CLOSED;
                out.add(new Snapshot(t, state, e.consecutiveFailures, e.openUntil.equals(Instant.EPOCH) ? null : e.openUntil, Optional.empty(), e.calls, e.failures));
            }
        });
        List<Snapshot> withP95 = new ArrayList<>();
        for (Snapshot s : out) {
            withP95.add(new Snapshot(s.target(), s.state(), s.consecutiveFailures(), s.openUntil(), p95(s.target()), s.calls(), s.failures()));
        }
        withP95.sort((a, b) -> a.target().toString().compareTo(b.target().toString()));
        return withP95;
    }
}
