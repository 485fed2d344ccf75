package dev.mainstay.evals;

import java.util.List;

/**
 * {@code status}: where the job stopped is one of the listed states, e.g. {@code
 * [waiting_for_review]} for a prompt injection that a person must see, or {@code [rejected]} for
 * an input the workflow must refuse.
 */
record StatusIs(List<String> statuses) implements Scorer {
    StatusIs {
        statuses = List.copyOf(statuses);
        for (String s : statuses) {
            if (!Observation.END_STATES.contains(s)) {
                throw new IllegalArgumentException("'" + s + "' is not a state an eval case can end in " + new java.util.TreeSet<>(Observation.END_STATES));
            }
        }
        if (statuses.isEmpty()) {
            throw new IllegalArgumentException("status needs at least one state");
        }
    }

    @Override
    public String kind() {
        return "status";
    }

    @Override
    public String defaultName() {
        return kind();
    }

    @Override
    public boolean needsExpected() {
        return false;
    }

    @Override
    public boolean readsOutput() {
        return false;
    }

    @Override
    public Score score(Evidence e) {
        String status = e.observed().status();
        String wanted = statuses.size() == 1 ? statuses.getFirst() : "one of " + String.join(", ", statuses);
        return statuses.contains(status) ? Score.Scored.pass("ended " + status + " as expected")
                : Score.Scored.fail("ended " + status + (e.observed().errorCode() == null ? "" : " (" + e.observed().errorCode() + ")") + "; expected " + wanted);
    }
}
