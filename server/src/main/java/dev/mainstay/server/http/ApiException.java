package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import java.util.ArrayList;
import java.util.List;

/**
 * A refusal raised inside the API layer, carrying the problem to send and any headers its answer
 * needs beyond the problem's own; {@link Problems} sends it.
 */
final class ApiException extends MainstayException {
    private final transient Problem problem;
    private final transient List<Reply.Header> headers;

    ApiException(Problem problem) {
        this(problem, List.of());
    }

    private ApiException(Problem problem, List<Reply.Header> headers) {
        super(problem.code(), problem.detail(), null, false);
        this.problem = problem;
        this.headers = List.copyOf(headers);
    }

    Problem problem() {
        return problem;
    }

    /** Headers the answer carries besides those of its problem, such as {@code Connection: close}. */
    List<Reply.Header> headers() {
        return headers;
    }

    /** The same refusal, its answer with one more header. */
    ApiException withHeader(String name, String value) {
        List<Reply.Header> more = new ArrayList<>(headers);
        more.add(new Reply.Header(name, value));
        return new ApiException(problem, more);
    }

    static ApiException refuse(ErrorCode code, String detail) {
        return new ApiException(Problem.of(code, detail));
    }
}
