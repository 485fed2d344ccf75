package dev.mainstay.server;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import java.util.ArrayList;
import java.util.List;

/** A refusal raised inside the API layer, with the problem to send and the headers it needs. */
final class ApiException extends MainstayException {
    final Problem problem;
    final List<String[]> headers = new ArrayList<>();

    ApiException(Problem problem) {
        super(problem.code(), problem.detail(), null, false);
        this.problem = problem;
    }

    ApiException header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    static ApiException refuse(ErrorCode code, String detail) {
        return new ApiException(Problem.of(code, detail));
    }
}
