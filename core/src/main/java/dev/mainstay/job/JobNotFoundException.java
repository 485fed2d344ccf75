package dev.mainstay.job;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** No job with that id in the caller's account (another account's job is reported the same way). */
public final class JobNotFoundException extends MainstayException {
    private final String jobId;

    public JobNotFoundException(String jobId) {
        super(ErrorCode.NOT_FOUND, "no job '" + jobId + "' in this account", null, false);
        this.jobId = jobId;
    }

    public String jobId() {
        return jobId;
    }
}
