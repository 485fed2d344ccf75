package dev.mainstay.evals;

/**
 * Everything a scorer may look at for one case.
 *
 * @param kase the case: its input and expected answer
 * @param observed what the run saw
 * @param subject the workflow version under test
 * @param scorer the name of the scorer entry being applied, under which a judge's verdict is filed
 */
public record Evidence(EvalCase kase, Observation observed, Subject subject, String scorer) {
    public Evidence {
        if (kase == null || observed == null || subject == null || scorer == null) {
            throw new IllegalArgumentException("evidence needs the case, the observation, the version under test and the scorer's name");
        }
    }
}
