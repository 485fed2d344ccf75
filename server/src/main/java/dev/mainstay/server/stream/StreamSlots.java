package dev.mainstay.server.stream;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The open streams of a node, counted per account and in all, against the caps of {@link StreamConfig}. */
final class StreamSlots {
    /** Why a stream could not open. */
    sealed interface Refusal {
        record AccountFull(String accountId, int open) implements Refusal {
        }

        record NodeFull(int open) implements Refusal {
        }
    }

    /** A held slot; closing it gives it back, once. */
    final class Slot implements AutoCloseable {
        private final String accountId;
        private boolean closed;

        private Slot(String accountId) {
            this.accountId = accountId;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(accountId);
            }
        }
    }

    private final int perAccount;
    private final int perNode;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    StreamSlots(int perAccount, int perNode) {
        this.perAccount = perAccount;
        this.perNode = perNode;
    }

    /** A slot for one more stream of {@code accountId}, or why there is none. */
    Result acquire(String accountId) {
        if (total.incrementAndGet() > perNode) {
            int n = total.decrementAndGet();
            return new Result(Optional.empty(), Optional.of(new Refusal.NodeFull(n)));
        }
        boolean[] taken = {false};
        int[] count = {0};
        open.compute(accountId, (k, v) -> {
            AtomicInteger c = v == null ? new AtomicInteger() : v;
            count[0] = c.get();
            if (c.get() < perAccount) {
                c.incrementAndGet();
                taken[0] = true;
            }
            return c;
        });
        if (!taken[0]) {
            total.decrementAndGet();
            return new Result(Optional.empty(), Optional.of(new Refusal.AccountFull(accountId, count[0])));
        }
        return new Result(Optional.of(new Slot(accountId)), Optional.empty());
    }

    /** One of a slot or a refusal. */
    record Result(Optional<Slot> slot, Optional<Refusal> refusal) {
    }

    int open(String accountId) {
        AtomicInteger c = open.get(accountId);
        return c == null ? 0 : c.get();
    }

    int total() {
        return total.get();
    }

    private void release(String accountId) {
        open.computeIfPresent(accountId, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
        total.decrementAndGet();
    }
}
