package dev.mainstay.store;

/**
 * Everything Mainstay keeps durably: the aggregate of the store's features that a node wires. A
 * caller that needs one feature takes its interface ({@link WorkflowVersionStore},
 * {@link AccountStore}, {@link JobStore}, {@link ClaimStore}, {@link ReviewStore},
 * {@link ToolCallStore}, {@link ResultCacheStore}, {@link AuditStore}, {@link LedgerStore}, {@link StatsStore}, {@link EventFeedStore},
 * {@link WebhookStore}, {@link InboundStore}, {@link EvalRunStore}, {@link LiveEvalStore}, {@link RetentionStore},
 * {@link WorkflowActivationStore}, {@link EvalCaseStore}, {@link ErasureStore}, {@link RefusalStore}).
 * Implementations (SQLite, PostgreSQL) pass the same contract suite; the engine relies on the
 * guarantees written on each method, nothing more.
 *
 * <p>Writes are durable when the method returns. Implementations are expected to batch concurrent
 * writes into shared transactions (group commit); callers simply block until theirs is committed.
 */
public interface Store extends WorkflowVersionStore, AccountStore, JobStore, ClaimStore, ReviewStore, ToolCallStore, ResultCacheStore, AuditStore,
        LedgerStore, StatsStore, EventFeedStore, WebhookStore, InboundStore, EvalRunStore, LiveEvalStore, RetentionStore,
        WorkflowActivationStore, EvalCaseStore, ErasureStore, RefusalStore, AutoCloseable {

    /** Commits performed since start; the group-commit ratio is commits per job. */
    long commitCount();

    /** From now on every commit is reported to {@code metrics} (its latency and how many writes it carried). */
    default void reportCommitsTo(dev.mainstay.metrics.StoreMetrics metrics) {
    }

    @Override
    void close();
}
