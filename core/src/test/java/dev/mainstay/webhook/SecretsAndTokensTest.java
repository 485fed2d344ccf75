package dev.mainstay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.job.JobStatus;
import org.junit.jupiter.api.Test;

class SecretsAndTokensTest {
    private final SecretBox box = SecretBox.of(SecretBox.newKey());

    @Test
    void aSealedSecretOpensOnItsOwnRowUnderItsOwnKeyOnly() {
        String secret = SigningSecret.generate().reveal();
        String sealed = box.seal(secret, "whe_1/whs_1");
        assertThat(sealed).startsWith("v1.").doesNotContain(secret.substring(6));
        assertThat(box.open(sealed, "whe_1/whs_1")).isEqualTo(secret);
        assertThatThrownBy(() -> box.open(sealed, "whe_2/whs_1")).isInstanceOf(IllegalStateException.class).hasMessageNotContaining(secret);
        assertThatThrownBy(() -> SecretBox.of(SecretBox.newKey()).open(sealed, "whe_1/whs_1")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("MAINSTAY_SECRETS_KEY");
    }

    @Test
    void callbackTokensAreAuthenticOnlyUnderTheKeyThatIssuedThem() {
        CallbackTokens tokens = new CallbackTokens(box);
        String token = tokens.forStage("job_1", 2);
        assertThat(token).matches("cb[0-9a-f]{64}");
        assertThat(tokens.authentic(token)).isTrue();
        assertThat(tokens.forStage("job_1", 2)).as("a request sent again calls back the same URL").isEqualTo(token);
        assertThat(tokens.forStage("job_1", 3)).isNotEqualTo(token);
        assertThat(tokens.forStage("job_2", 2)).isNotEqualTo(token);
        char flipped = token.charAt(10) == 'a' ? 'b' : 'a';
        assertThat(tokens.authentic(token.substring(0, 10) + flipped + token.substring(11))).isFalse();
        assertThat(tokens.authentic(token.substring(0, 60))).isFalse();
        assertThat(new CallbackTokens(SecretBox.of(SecretBox.newKey())).authentic(token)).isFalse();
        assertThat(CallbackTokens.hash(token)).isNotEqualTo(token).hasSize(64);
    }

    @Test
    void transitionsEmitTheirEventTypes() {
        assertThat(EventTypes.emitted(JobStatus.COMPLETED, "completed")).containsExactly("job.completed");
        assertThat(EventTypes.emitted(JobStatus.FAILED, "failed")).containsExactly("job.failed");
        assertThat(EventTypes.emitted(JobStatus.WAITING_FOR_REVIEW, "review_requested")).containsExactly("job.waiting_for_review");
        assertThat(EventTypes.emitted(JobStatus.COMPLETED, "review_decided")).containsExactly("review.decided", "job.completed");
        assertThat(EventTypes.emitted(JobStatus.QUEUED, "review_decided")).containsExactly("review.decided");
        assertThat(EventTypes.emitted(JobStatus.PROCESSING, "stage_completed")).isEmpty();
        assertThat(EventTypes.emitted(JobStatus.RETRYING, "retry_scheduled")).isEmpty();
        for (JobStatus s : JobStatus.values()) {
            if (s.isTerminal()) {
                assertThat(EventTypes.ALL).contains("job." + s.wire());
            }
        }
    }
}
