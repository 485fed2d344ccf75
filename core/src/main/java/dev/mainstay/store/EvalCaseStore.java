package dev.mainstay.store;

import java.util.List;
import java.util.Optional;

/**
 * Eval cases captured from real jobs, per suite. Kept in the store rather than in a suite file so
 * that every node sees a case the moment it is added; runs of the suite take them after the
 * file's cases, in the order they were added.
 */
public interface EvalCaseStore {
    /** Stores a case; false, storing nothing, when its suite already holds a stored case of that name. */
    boolean addEvalCase(StoredEvalCase kase);

    /** The stored cases of {@code suite} in the order they were added, after the case with id {@code after} ({@code null}: from the first), at most {@code limit}. */
    List<StoredEvalCase> evalCases(String suite, String after, int limit);

    /** The stored case of {@code suite} named {@code name}. */
    Optional<StoredEvalCase> evalCase(String suite, String name);

    /** Removes the stored case {@code id} of {@code suite}; false when there was none. */
    boolean deleteEvalCase(String suite, String id);
}
