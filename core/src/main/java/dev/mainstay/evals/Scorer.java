package dev.mainstay.evals;

/**
 * One way of judging an observed case, producing a score in [0, 1] with a reason. The kinds are
 * a closed set, each written in a suite under its {@link #kind()} (see docs/evals.md).
 */
public sealed interface Scorer permits SchemaValid, Equals, OneOf, Matches, Numeric, Contains, Overlap, CelAssertion, StatusIs, ResultTypeIs, ErrorCodeIs,
        LatencyCeiling, CostCeiling, ModelGraded {

    /** The key a suite writes it under, e.g. {@code equals}. */
    String kind();

    /** What results call it when the suite gives it no name, e.g. {@code equals /segment}. */
    String defaultName();

    /**
     * Whether it compares with the case's expected answer rather than a value of its own. Such a
     * scorer skips a case without an expected value where it looks, and cannot judge traffic
     * that has no reference answer (shadow and live traffic).
     */
    boolean needsExpected();

    /**
     * Whether it judges the job's result (rather than how the job ended, how long it took or what
     * it cost). A suite's scorers that do are not applied to a case that expects no result.
     */
    default boolean readsOutput() {
        return true;
    }

    /** Whether it has something to judge in {@code kase}. */
    default boolean appliesTo(EvalCase kase) {
        return true;
    }

    /** Judges one observed case; never throws for any output a job can hold. */
    Score score(Evidence evidence);
}
