package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import dev.mainstay.access.Account;
import dev.mainstay.access.Principal;
import dev.mainstay.evals.CaseResult;
import dev.mainstay.evals.CaseResults;
import dev.mainstay.evals.EvalCase;
import dev.mainstay.evals.EvalSuite;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.evals.Observation;
import dev.mainstay.evals.Subject;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.EvalRunCase;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Eval runs: every case of a suite submitted through the engine as a durable job of the eval
 * account ({@link #ACCOUNT}), so that its spend is held by that account's budgets and never shows
 * in a customer's usage; then scored once its job stops, and the run summed up once every case is.
 *
 * <p>Nothing of a run lives in memory: every node's sweep ({@link #start}) reads the running runs
 * from the store, submits the next cases (at most the run's concurrency unscored at once), and
 * scores the cases whose jobs stopped. A run therefore goes on after a restart, on any node. A case
 * is submitted under an idempotency key made of the run and case ids, so two nodes, or one node
 * before and after a crash, submit it as one job; it is scored once, the first score stored wins.
 */
public final class EvalRuns implements AutoCloseable {
    /** The account every eval job belongs to: its limits are the eval budget. */
    public static final String ACCOUNT = dev.mainstay.store.LiveEvalStore.EVAL_ACCOUNT;
    /** Cases of one run submitted and not yet scored, unless the request says otherwise. */
    public static final int DEFAULT_CONCURRENCY = 4;
    public static final int MAX_CONCURRENCY = 64;

    private static final Logger LOG = LoggerFactory.getLogger(EvalRuns.class);
    private static final Duration SWEEP = Duration.ofMillis(200);
    private static final Principal EVALS = new Principal(ACCOUNT, "system:evals", Set.of(), true);

    private final Store store;
    private final Engine engine;
    private final WorkflowRegistry registry;
    private final EvalSuites suites;
    private final Clock clock;
    private final JobIds ids;
    private final EvalJudges judges;
    private final SweepLoop sweep = new SweepLoop("mainstay-eval-runs", SWEEP, this::step, LOG);

    public EvalRuns(Store store, Engine engine, WorkflowRegistry registry, EvalSuites suites, Clock clock) {
        this.store = store;
        this.engine = engine;
        this.registry = registry;
        this.suites = suites;
        this.clock = clock;
        this.ids = new JobIds(clock);
        this.judges = new EvalJudges(store, engine, EVALS, clock);
    }

    /**
     * Starts runs of {@code workflow}: of {@code suite}, or of every suite the version names when
     * it is {@code null}; of {@code version}, or of the active version when it is {@code null}.
     *
     * @throws MainstayException {@code not_found} for a workflow, version or suite that is not loaded,
     *     {@code invalid_input} for a version that names no suite
     */
    public List<EvalRun> start(String workflow, Integer version, String suite, int concurrency, String requestedBy) {
        return start(workflow, version, suite, concurrency, requestedBy, false);
    }

    /**
     * {@link #start(String, Integer, String, int, String)}, and with {@code modelGrading} a judge
     * model is called for every model-graded scorer (docs/evals.md, model grading in runs).
     */
    public List<EvalRun> start(String workflow, Integer version, String suite, int concurrency, String requestedBy, boolean modelGrading) {
        WorkflowDefinition d = (version == null ? registry.active(workflow) : registry.version(workflow, version))
                .orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND, "no workflow " + workflow + (version == null ? "" : " v" + version) + " is loaded"));
        List<EvalSuite> of = suites.of(d.name(), d.version());
        if (suite != null) {
            of = of.stream().filter(s -> s.name().equals(suite)).toList();
            if (of.isEmpty()) {
                throw new MainstayException(ErrorCode.NOT_FOUND, d.name() + " v" + d.version() + " names no suite '" + suite + "'; it names "
                        + suites.of(d.name(), d.version()).stream().map(EvalSuite::name).toList());
            }
        } else if (of.isEmpty()) {
            throw new MainstayException(ErrorCode.INVALID_INPUT, d.name() + " v" + d.version() + " names no eval suite (evals: in its file)");
        }
        ensureAccount();
        Instant now = clock.instant();
        List<EvalRun> runs = new ArrayList<>();
        for (EvalSuite s : of) {
            EvalRun run = new EvalRun(ids.next("evr"), d.name(), d.version(), s.name(), s.contentHash(), requestedBy, concurrency,
                    EvalRun.Status.RUNNING, now, null, null, modelGrading);
            store.createEvalRun(run, caseIds(s));
            runs.add(run);
        }
        wakeSweep();
        return runs;
    }

    /** A fresh run id, for a caller that records it before the run exists (an activation gate). */
    public String newRunId() {
        return ids.next("evr");
    }

    /** Starts a run of {@code suite} on {@code d} under {@code runId}, chosen beforehand with {@link #newRunId}. */
    public EvalRun start(String runId, WorkflowDefinition d, EvalSuite suite, String requestedBy) {
        ensureAccount();
        EvalRun run = new EvalRun(runId, d.name(), d.version(), suite.name(), suite.contentHash(), requestedBy, DEFAULT_CONCURRENCY,
                EvalRun.Status.RUNNING, clock.instant(), null, null, false);
        store.createEvalRun(run, caseIds(suite));
        wakeSweep();
        return run;
    }

    /** The suite file's cases, then the cases stored under the suite in the order they were added (docs/evals.md, cases from production). */
    private List<String> caseIds(EvalSuite s) {
        List<String> out = new ArrayList<>(s.cases().stream().map(EvalCase::id).toList());
        String after = null;
        for (List<StoredEvalCase> page; !(page = store.evalCases(s.name(), after, EvalCases.MAX_PAGE)).isEmpty(); after = page.getLast().id()) {
            page.stream().filter(k -> s.kase(k.name()).isEmpty()).forEach(k -> out.add(k.name())); // a name the file took since: the file's case wins
        }
        return out;
    }

    /** A case of the run: the file's, else one stored under the suite. */
    private Optional<EvalCase> kase(EvalSuite suite, String caseId) {
        Optional<EvalCase> inFile = suite.kase(caseId);
        return inFile.isPresent() ? inFile : store.evalCase(suite.name(), caseId).map(EvalCases::asCase);
    }

    /** The suites every loaded workflow version names. */
    public EvalSuites suites() {
        return suites;
    }

    /** The stored results of a run's scored cases, in suite order. */
    public List<CaseResult> results(String runId) {
        return store.evalRunCases(runId).stream().filter(EvalRunCase::scored).map(c -> CaseResults.fromJson(c.result())).toList();
    }

    /** Moves every running run on once: what the sweep does every {@link #SWEEP}. */
    public void step() {
        for (EvalRun run : store.runningEvalRuns()) {
            try {
                step(run);
            } catch (RuntimeException e) {
                LOG.warn("eval run {} ({} v{}, suite {}): this step failed; the next sweep tries again", run.id(), run.workflow(), run.version(), run.suite(), e);
            }
        }
    }

    private void step(EvalRun run) {
        Optional<WorkflowDefinition> d = registry.version(run.workflow(), run.version());
        Optional<EvalSuite> s = suites.suite(run.suite());
        if (d.isEmpty() || s.isEmpty()) {
            return; // this node does not load it; a node that does moves it on
        }
        EvalSuite suite = s.get();
        Subject subject = Subject.of(d.get());
        List<EvalRunCase> cases = store.evalRunCases(run.id());
        int outstanding = 0;
        List<EvalRunCase> unsubmitted = new ArrayList<>();
        for (EvalRunCase c : cases) {
            if (c.scored()) {
                continue;
            }
            if (c.jobId() == null) {
                unsubmitted.add(c);
                continue;
            }
            Job job = store.job(c.jobId()).orElse(null);
            if (job != null && Observation.END_STATES.contains(job.status().wire())) {
                Optional<EvalCase> k = kase(suite, c.caseId());
                Observation observed = observe(job);
                if (k.isPresent() && run.modelGrading()) {
                    Optional<Map<String, tools.jackson.databind.JsonNode>> verdicts = judges.verdicts(run, k.get(), suite.scorersFor(k.get()), observed, d.get());
                    if (verdicts.isEmpty()) {
                        outstanding++; // its judges are still at work
                        continue;
                    }
                    observed = observed.withVerdicts(verdicts.get());
                }
                // A stored case deleted while the run ran is left unscored rather than holding the run open.
                store.evalCaseScored(run.id(), c.caseId(), CaseResults.toJson(k.isPresent() ? suite.score(k.get(), observed, subject)
                        : new CaseResult(c.caseId(), observed, List.of())));
            } else {
                outstanding++;
            }
        }
        for (EvalRunCase c : unsubmitted) {
            if (outstanding >= run.concurrency()) {
                break;
            }
            Optional<EvalCase> kase = kase(suite, c.caseId());
            if (kase.isEmpty()) {
                store.evalCaseScored(run.id(), c.caseId(), CaseResults.toJson(new CaseResult(c.caseId(), Observation.rejected(ErrorCode.NOT_FOUND.code(), Duration.ZERO), List.of())));
                continue;
            }
            Instant began = clock.instant();
            try {
                Engine.Submission sub = engine.submit(EVALS, d.get(), kase.get().input().deepCopy(), "eval-" + run.id() + "-" + c.caseId());
                store.evalCaseSubmitted(run.id(), c.caseId(), sub.job().id());
                outstanding++;
            } catch (MainstayException e) {
                if (e.retryable()) {
                    return; // a backlog or budget that may have room later: the next sweep tries again
                }
                Observation refused = Observation.rejected(e.code().code(), Duration.between(began, clock.instant()));
                store.evalCaseScored(run.id(), c.caseId(), CaseResults.toJson(suite.score(kase.get(), refused, subject)));
            }
        }
        List<EvalRunCase> now = store.evalRunCases(run.id());
        if (now.stream().allMatch(EvalRunCase::scored)) {
            List<CaseResult> results = now.stream().map(c -> CaseResults.fromJson(c.result())).toList();
            if (store.finishEvalRun(run.id(), CaseResults.summary(suite.summarize(results)), clock.instant())) {
                LOG.info("eval run {}: {} v{} on suite {} finished, {} case(s)", run.id(), run.workflow(), run.version(), run.suite(), results.size());
            }
        }
    }

    static Observation observe(Job job) {
        Instant end = job.completedAt() != null ? job.completedAt() : job.updatedAt();
        Duration latency = Duration.between(job.createdAt(), end);
        return new Observation(job.id(), job.status().wire(), job.resultType(), job.error() == null ? null : job.error().code().code(), job.result(),
                latency.isNegative() ? Duration.ZERO : latency, job.usage(), Map.of());
    }

    private void ensureAccount() {
        ensureAccount(store, clock);
    }

    /** Creates the eval account unless it exists; several nodes may race to create it. */
    static void ensureAccount(Store store, Clock clock) {
        if (store.account(ACCOUNT).isEmpty()) {
            try {
                store.createAccount(new Account(ACCOUNT, "Eval runs", "internal", clock.instant()));
            } catch (RuntimeException e) {
                if (store.account(ACCOUNT).isEmpty()) {
                    throw e;
                }
                // another node created it meanwhile
            }
        }
    }

    /** Starts the sweep: at once, then every 200 ms. */
    public void start() {
        sweep.start();
    }

    private void wakeSweep() {
        sweep.wake();
    }

    @Override
    public void close() {
        sweep.close();
    }
}
