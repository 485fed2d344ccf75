package dev.mainstay.evals;

import java.util.List;

/** {@code error_code}: the job failed, or its submission was refused, with one of the listed stable codes. */
record ErrorCodeIs(List<String> codes) implements Scorer {
    ErrorCodeIs {
        codes = List.copyOf(codes);
        for (String c : codes) {
            if (dev.mainstay.ErrorCode.fromCode(c).isEmpty()) {
                throw new IllegalArgumentException("'" + c + "' is not an error code of Mainstay (see docs/api.md)");
            }
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("error_code needs at least one code");
        }
    }

    @Override
    public String kind() {
        return "error_code";
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
        String got = e.observed().errorCode();
        String wanted = codes.size() == 1 ? codes.getFirst() : "one of " + String.join(", ", codes);
        if (got == null) {
            return Score.Scored.fail("no error (status " + e.observed().status() + "); expected " + wanted);
        }
        return codes.contains(got) ? Score.Scored.pass("error " + got + " as expected") : Score.Scored.fail("error " + got + "; expected " + wanted);
    }
}
