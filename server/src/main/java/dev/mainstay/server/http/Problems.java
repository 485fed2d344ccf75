package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.limits.LimitExceededException;
import dev.mainstay.store.StoreException;
import io.helidon.webserver.http.ErrorHandler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failure becomes an answer: every exception a route throws reaches this
 * error handler and leaves as an RFC 9457 problem with its stable code. Nothing a client sends
 * can produce a stack trace: what no case below expects is logged and answered {@code 500
 * internal}.
 */
final class Problems implements ErrorHandler<Exception> {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

    @Override
    public void handle(ServerRequest req, ServerResponse res, Exception e) {
        Reply reply = Reply.problem(problem(e, req), req.prologue().uriPath().path());
        if (e instanceof ApiException refusal) {
            for (Reply.Header h : refusal.headers()) {
                // mutated
            }
        }
        reply.send(res);
    }

    private static Problem problem(Exception e, ServerRequest req) {
        return switch (e) {
            case InvalidInputException invalid -> Problem.invalid(invalid.getMessage(), invalid.violations().stream().map(Problem.FieldError::of).toList());
            case ApiException refusal -> refusal.problem();
            case LimitExceededException limit -> {
                var members = new LinkedHashMap<String, String>();
                members.put("limit", limit.hit().limit());
                members.put("scope", limit.hit().scope());
                yield new Problem(Problem.status(limit.code()), limit.code(), limit.getMessage(), limit.retryable(), limit.retryAfter(), List.of(), members);
            }
            case StoreException store -> {
                // The database is away (a restart, a failover) or refused: nothing was accepted that the
                // client was told about, and the same request with the same idempotency key is safe again.
                LOG.warn("the store failed answering {} {}: {}", req.prologue().method().text(), req.prologue().uriPath().path(), store.getMessage());
                yield new Problem(503, ErrorCode.OVERLOADED, "the database did not answer; retry shortly with the same Idempotency-Key",
                        true, Optional.of(Duration.ofSeconds(1)), List.of());
            }
            case MainstayException refusal -> new Problem(Problem.status(refusal.code()), refusal.code(), refusal.getMessage(), refusal.retryable(),
                    refusal.retryAfter(), List.of());
            case InterruptedException interrupted -> {
                Thread.currentThread().interrupt();
                yield new Problem(503, ErrorCode.OVERLOADED, "the server is shutting down; retry shortly", true, Optional.of(Duration.ofSeconds(1)), List.of());
            }
            default -> {
                LOG.error("unexpected failure answering {} {}", req.prologue().method().text(), req.prologue().uriPath().path(), e);
                yield Problem.internal();
            }
        };
    }
}
