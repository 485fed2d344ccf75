package dev.mainstay.evals;

import dev.mainstay.job.ResultType;
import java.util.List;

/** {@code result_type}: the job's result is of one of the listed kinds ({@code full}, {@code draft}, {@code fallback}). */
record ResultTypeIs(List<ResultType> types) implements Scorer {
    ResultTypeIs {
        types = List.copyOf(types);
        if (types.isEmpty()) {
            throw new IllegalArgumentException("result_type needs at least one kind");
        }
    }

    @Override
    public String kind() {
        return "result_type";
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
    public Score score(Evidence e) {
        ResultType got = e.observed().resultType();
        String wanted = types.size() == 1 ? types.getFirst().wire() : "one of " + String.join(", ", types.stream().map(ResultType::wire).toList());
        if (got == null) {
            return Score.Scored.fail("the job holds no result (status " + e.observed().status() + "); expected " + wanted);
        }
        return types.contains(got) ? Score.Scored.pass("result_type " + got.wire() + " as expected") : Score.Scored.fail("result_type " + got.wire() + "; expected " + wanted);
    }
}
