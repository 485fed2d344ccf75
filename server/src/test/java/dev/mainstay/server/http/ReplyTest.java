package dev.mainstay.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Replies, problems and refusals are values: nothing changes one after it is made. */
class ReplyTest {
    @Test
    void aHeaderMakesANewReplyAndLeavesTheOldOneAsItWas() {
        Reply plain = Reply.json(202, Json.object().put("id", "job_1"));
        Reply located = plain.withHeader("Location", "/v1/jobs/job_1");
        assertThat(plain.headers()).isEmpty();
        assertThat(located.headers()).containsExactly(new Reply.Header("Location", "/v1/jobs/job_1"));
        assertThatThrownBy(() -> located.headers().add(new Reply.Header("X", "y"))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aProblemKeepsItsOwnCopiesOfErrorsAndMembers() {
        List<Problem.FieldError> errors = new ArrayList<>(List.of(Problem.FieldError.parameter("limit", "must be a whole number")));
        LinkedHashMap<String, String> members = new LinkedHashMap<>();
        members.put("limit", "cost_per_month_usd");
        Problem p = new Problem(429, ErrorCode.BUDGET_EXCEEDED, "over budget", false, Optional.empty(), errors, members);
        errors.clear();
        members.put("scope", "added later");
        assertThat(p.errors()).hasSize(1);
        assertThat(p.members()).containsOnlyKeys("limit");
        assertThatThrownBy(() -> p.members().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(p.toJson("/v1/x").path("limit").asString()).isEqualTo("cost_per_month_usd");
    }

    @Test
    void aProblemReplyCarriesRetryAfterAndTheChallenge() {
        Reply limited = Reply.problem(new Problem(429, ErrorCode.RATE_LIMITED, "slow down", true, Optional.of(Duration.ofMillis(1500)), List.of()), "/v1/x");
        assertThat(limited.headers()).containsExactly(new Reply.Header("Retry-After", "2"));
        assertThat(limited.body().path("retry_after").asLong()).isEqualTo(2);
        Reply unauthorized = Reply.problem(Problem.of(ErrorCode.UNAUTHORIZED, "missing API key"), "/v1/jobs");
        assertThat(unauthorized.headers()).containsExactly(new Reply.Header("WWW-Authenticate", "Bearer realm=\"mainstay\""));
    }

    @Test
    void anUnexpectedFailureNeverClaimsThatRetryingHelps() {
        JsonNode internal = Problem.internal().toJson("/v1/jobs");
        assertThat(internal.path("status").asInt()).isEqualTo(500);
        assertThat(internal.path("code").asString()).isEqualTo("internal");
        assertThat(internal.path("retryable").asBoolean()).isFalse();
        assertThat(internal.path("detail").asString()).doesNotContainIgnoringCase("retry").doesNotContainIgnoringCase("safe");
        // whatever the failure that reached the handler said about itself
        Problem fromException = new Problem(500, ErrorCode.INTERNAL, "store said so", true, Optional.empty(), List.of());
        assertThat(fromException.retryable()).isFalse();
        assertThat(Problem.of(ErrorCode.INTERNAL, "x").toJson("/").path("retryable").asBoolean()).isFalse();
        assertThat(Problem.of(ErrorCode.OVERLOADED, "x").retryable()).as("other codes keep their own rule").isTrue();
    }

    @Test
    void aHeaderOnARefusalMakesANewRefusalAndLeavesTheOldOneAsItWas() {
        ApiException refused = ApiException.refuse(ErrorCode.PAYLOAD_TOO_LARGE, "the body is larger than the limit");
        ApiException closing = refused.withHeader("Connection", "close");
        assertThat(refused.headers()).isEmpty();
        assertThat(closing.headers()).containsExactly(new Reply.Header("Connection", "close"));
        assertThat(closing.problem()).isSameAs(refused.problem());
        assertThatThrownBy(() -> closing.headers().add(new Reply.Header("X", "y"))).isInstanceOf(UnsupportedOperationException.class);
    }
}
