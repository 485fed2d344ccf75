package dev.mainstay.limits;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code max_concurrent_jobs} limit at claim time: how many more of an account's jobs may
 * start. The store reads the limits and the running counts under its locks and leases no more than
 * this allows.
 */
public final class Concurrency {
    private Concurrency() {
    }

    /**
     * The {@code max_concurrent_jobs} that bounds each of {@code accounts}: the one an operator set
     * on it, else {@code defaultMax}. An account with neither is absent: nothing bounds it.
     *
     * @param own the limits operators set, by account (accounts without one missing)
     * @param defaultMax the configured default, or {@code null} when there is none
     */
    public static Map<String, Integer> limits(Collection<String> accounts, Map<String, Integer> own, Integer defaultMax) {
        Map<String, Integer> limits = new HashMap<>();
        for (String account : accounts) {
            Integer max = own.getOrDefault(account, defaultMax);
            if (max != null) {
                limits.put(account, max);
            }
        }
        return limits;
    }

    /**
     * For each account with a limit: its limit less its jobs running now, never below zero.
     * Accounts without a limit are absent: nothing bounds them.
     *
     * @param limits {@code max_concurrent_jobs} by account, for the accounts that have one
     * @param running jobs in {@code processing} by account; an account missing runs none
     */
    public static Map<String, Integer> room(Map<String, Integer> limits, Map<String, Integer> running) {
        Map<String, Integer> room = new HashMap<>(limits);
        room.replaceAll((account, limit) -> Math.max(0, limit - running.getOrDefault(account, 0)));
        return room;
    }
}
