package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** A refusal raised inside the API layer, carrying the problem to send; {@link Problems} sends it. */
final class ApiException extends MainstayException {
    private final transient Problem problem;

    ApiException(Problem problem) {
        super(problem.code(), problem.detail(), null, false);
        this.problem = problem;
    }

    Problem problem() {
        return problem;
    }

    static ApiException refuse(ErrorCode code, String detail) {
        return new ApiException(Problem.of(code, detail));
    }
}
