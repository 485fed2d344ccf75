package dev.mainstay.store;

import dev.mainstay.limits.RefusalCount;
import java.time.LocalDate;
import java.util.List;

/**
 * Admission refusals counted per account, day and kind. Nodes count them in memory and add their
 * counts now and then, so a flood of refused requests is a few writes, and every node's counts add
 * up to the cluster's.
 */
public interface RefusalStore {
    /** Adds each count to the total of its account, day and kind, in one transaction. */
    void addRefusals(List<RefusalCount> counts);

    /**
     * The totals of {@code accountId} (or of every account, with {@code null}) from {@code from}
     * to {@code to}, both days included, by day, then account and kind.
     */
    List<RefusalCount> refusals(String accountId, LocalDate from, LocalDate to);
}
