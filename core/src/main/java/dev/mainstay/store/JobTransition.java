package dev.mainstay.store;

import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.review.Review;
import dev.mainstay.usage.Charge;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * One atomic change to a job: the new status, the fields that change with it, the stage record to
 * commit and the event to append. The store applies it in one transaction, and only if the job is
 * still in one of {@link #from()} and (when {@link #leaseOwner()} is set) still leased by that
 * owner; otherwise it applies nothing and says so. Fields left {@code null} keep their value.
 */
public final class JobTransition {
    private final String jobId;
    private final String leaseOwner;
    private final Set<JobStatus> from;
    private final JobStatus to;
    private final Integer currentStage;
    private final Integer stageAttempts;
    private final JsonNode result;
    private final ResultType resultType;
    private final JobError error;
    private final boolean clearError;
    private final Instant nextRunAt;
    private final Instant retryAt;
    private final Provenance provenance;
    private final Usage usageDelta;
    private final List<Charge> charges;
    private final List<AuditEvent> audit;
    private final Boolean deadLetter;
    private final boolean releaseLease;
    private final Instant completedAt;
    private final Instant deadlineAt;
    private final StageRun stageRun;
    private final Review review;
    private final ShadowRun shadow;
    private final String eventType;
    private final JsonNode eventData;
    private final Instant at;

    private JobTransition(Builder b) {
        this.jobId = Objects.requireNonNull(b.jobId, "jobId");
        this.leaseOwner = b.leaseOwner;
        this.to = Objects.requireNonNull(b.to, "to");
        this.from = b.from == null ? to.predecessors() : b.from;
        for (JobStatus s : this.from) {
            s.checkTransition(to, jobId);
        }
        this.currentStage = b.currentStage;
        this.stageAttempts = b.stageAttempts;
        this.result = b.result;
        this.resultType = b.resultType;
        this.error = b.error;
        this.clearError = b.clearError;
        this.nextRunAt = b.nextRunAt;
        this.retryAt = b.retryAt;
        this.provenance = b.provenance;
        this.usageDelta = b.usageDelta;
        this.charges = List.copyOf(b.charges);
        this.audit = List.copyOf(b.audit);
        this.deadLetter = b.deadLetter;
        this.releaseLease = b.releaseLease || to.isTerminal();
        this.completedAt = to.isTerminal() && b.completedAt == null ? b.at : b.completedAt;
        this.deadlineAt = b.deadlineAt;
        this.stageRun = b.stageRun;
        this.review = b.review;
        if (b.shadow != null && !to.isTerminal()) {
            throw new IllegalStateException("job " + b.jobId + ": a shadow sample goes with a finishing transition, not one to " + to.wire() + ". Indicates a bug.");
        }
        this.shadow = b.shadow;
        this.eventType = Objects.requireNonNull(b.eventType, "eventType");
        this.eventData = b.eventData;
        this.at = Objects.requireNonNull(b.at, "at");
    }

    public static Builder to(String jobId, JobStatus to, Instant at) {
        Builder b = new Builder();
        b.jobId = jobId;
        b.to = to;
        b.at = at;
        b.eventType = to.wire();
        return b;
    }

    public String jobId() { return jobId; }
    public String leaseOwner() { return leaseOwner; }
    public Set<JobStatus> from() { return EnumSet.copyOf(from); }
    public JobStatus to() { return to; }
    public Integer currentStage() { return currentStage; }
    public Integer stageAttempts() { return stageAttempts; }
    public JsonNode result() { return result; }
    public ResultType resultType() { return resultType; }
    public JobError error() { return error; }
    public boolean clearError() { return clearError; }
    public Instant nextRunAt() { return nextRunAt; }
    public Instant retryAt() { return retryAt; }
    public Provenance provenance() { return provenance; }
    public Usage usageDelta() { return usageDelta; }
    /**
     * Model calls to record in the usage ledger and settle against their reservations. Unlike the
     * rest of the transition they are recorded even when the job is no longer in a state it
     * applies to: the calls were made and cost what they cost.
     */
    public List<Charge> charges() { return charges; }
    /** Audit events that commit with this transition, and only if it applies. */
    public List<AuditEvent> audit() { return audit; }
    public Boolean deadLetter() { return deadLetter; }
    public boolean releaseLease() { return releaseLease; }
    public Instant completedAt() { return completedAt; }
    public Instant deadlineAt() { return deadlineAt; }
    public StageRun stageRun() { return stageRun; }
    /** A review to open together with this transition, or {@code null}. */
    public Review review() { return review; }
    /**
     * The shadow run this finishing transition samples, or {@code null}: written with it, and only
     * if it applies, so a live job is sampled once however often its end is attempted.
     */
    public ShadowRun shadow() { return shadow; }
    public String eventType() { return eventType; }
    public JsonNode eventData() { return eventData; }
    public Instant at() { return at; }

    /** Collects the fields of a transition; {@link #build()} checks it against the status table. */
    public static final class Builder {
        private String jobId;
        private String leaseOwner;
        private Set<JobStatus> from;
        private JobStatus to;
        private Integer currentStage;
        private Integer stageAttempts;
        private JsonNode result;
        private ResultType resultType;
        private JobError error;
        private boolean clearError;
        private Instant nextRunAt;
        private Instant retryAt;
        private Provenance provenance;
        private Usage usageDelta;
        private List<Charge> charges = List.of();
        private final List<AuditEvent> audit = new ArrayList<>();
        private Boolean deadLetter;
        private boolean releaseLease;
        private Instant completedAt;
        private Instant deadlineAt;
        private StageRun stageRun;
        private Review review;
        private ShadowRun shadow;
        private String eventType;
        private JsonNode eventData;
        private Instant at;

        private Builder() {
        }

        /** Apply only while {@code owner} holds the job's lease. */
        public Builder leasedBy(String owner) { this.leaseOwner = owner; return this; }
        /** Apply only from these statuses (default: every legal predecessor). */
        public Builder from(Set<JobStatus> statuses) { this.from = EnumSet.copyOf(statuses); return this; }
        public Builder from(JobStatus first, JobStatus... rest) { this.from = EnumSet.of(first, rest); return this; }
        public Builder currentStage(int index) { this.currentStage = index; return this; }
        public Builder stageAttempts(int attempts) { this.stageAttempts = attempts; return this; }
        public Builder result(JsonNode result, ResultType type) { this.result = result; this.resultType = type; return this; }
        public Builder error(JobError error) { this.error = error; return this; }
        public Builder clearError() { this.clearError = true; return this; }
        public Builder nextRunAt(Instant when) { this.nextRunAt = when; return this; }
        public Builder retryAt(Instant when) { this.retryAt = when; return this; }
        public Builder provenance(Provenance provenance) { this.provenance = provenance; return this; }
        public Builder addUsage(Usage usage) { this.usageDelta = usage; return this; }
        /** Records these model calls and adds their total to the job's usage. */
        public Builder charges(List<Charge> charges) {
            this.charges = List.copyOf(charges);
            this.usageDelta = Charge.total(charges);
            return this;
        }
        public Builder audit(AuditEvent event) { this.audit.add(event); return this; }
        public Builder deadLetter(boolean deadLetter) { this.deadLetter = deadLetter; return this; }
        public Builder releaseLease() { this.releaseLease = true; return this; }
        public Builder deadlineAt(Instant deadline) { this.deadlineAt = deadline; return this; }
        public Builder stageRun(StageRun run) { this.stageRun = run; return this; }
        public Builder openReview(Review review) { this.review = review; return this; }
        /** Samples the job for shadow traffic (a finishing transition only). */
        public Builder sampleShadow(ShadowRun run) { this.shadow = run; return this; }
        public Builder event(String type, JsonNode data) { this.eventType = type; this.eventData = data; return this; }

        public JobTransition build() {
            return new JobTransition(this);
        }
    }
}
