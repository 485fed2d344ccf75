package dev.mainstay.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import org.junit.jupiter.api.Test;

class JobErrorTest {
    @Test
    void anInternalFailureIsNeverRetryableHoweverItWasBuiltOrStored() {
        assertThat(JobError.of(ErrorCode.INTERNAL, "internal error while running the job: IllegalStateException").retryable()).isFalse();
        // As read back from a row written when internal failures still said true.
        assertThat(new JobError(ErrorCode.INTERNAL, "internal error while running the job: NullPointerException", true).retryable()).isFalse();
    }

    @Test
    void otherCodesKeepWhatTheFailureSaid() {
        assertThat(JobError.of(ErrorCode.PROVIDER_UNAVAILABLE, "HTTP 503").retryable()).isTrue();
        assertThat(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, "no route has a target", false).retryable()).isFalse();
        assertThat(new JobError(ErrorCode.TOOL_FAILED, "tool 'crm' answered 500", true).retryable()).isTrue();
    }
}
