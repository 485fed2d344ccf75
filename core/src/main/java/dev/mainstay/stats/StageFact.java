package dev.mainstay.stats;

/**
 * What a summary needs of one committed stage of a job.
 *
 * @param runMillis from the stage's start to its end, or -1 when one of them is not recorded
 * @param validation its provenance's {@code validation}: {@code passed} (the first answer passed
 *     its contract), {@code repaired}, {@code failed}, or {@code null} for a stage without a model
 */
public record StageFact(String workflow, String stageId, long runMillis, String validation) {
}
