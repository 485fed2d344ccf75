package dev.mainstay.limits;

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
