package dev.mainstay.engine;

import dev.mainstay.ConfigException;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.evals.EvalSuite;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.evals.RunComparison;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.Store;
import dev.mainstay.store.WorkflowActivationStore.ActivationGate;
import dev.mainstay.store.WorkflowActivationStore.WorkflowActivation;
import dev.mainstay.workflow.Activation;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Which version of each workflow serves. The active version is on record in the store (so it
 * survives restarts and every node of a cluster serves the same one); each node's sweep reads it
 * every {@link #SWEEP} and serves it ({@link WorkflowRegistry#serve}), so an activation made on one
 * node is served by the others within one sweep.
 *
 * <p>The first version of a workflow on record becomes active when it loads. A new version (above
 * every version that was ever active) of a workflow without an {@code activation:} gate becomes
 * active when it loads, as before gates existed. With a gate it loads as a <em>candidate</em>: the
 * sweep opens the gate once (whichever node gets there first), with an eval run of the candidate on
 * the gate's suite and the active version's latest completed run of that suite (or a new one), and
 * when both runs are completed decides once: the candidate becomes active when its quality score
 * reaches {@code min_score} and falls no more than {@code max_regression} below the active
 * version's; else it stays a candidate and the audit log says why, naming the regressed cases.
 */
public final class Activations implements AutoCloseable {
    /** The actor of what the gate does on its own. */
    public static final String ACTOR = "system:activation";
    public static final Duration SWEEP = Duration.ofMillis(200);

    private static final Logger LOG = LoggerFactory.getLogger(Activations.class);

    private final Store store;
    private final WorkflowRegistry registry;
    private final EvalRuns runs;
    private final EvalSuites suites;
    private final Clock clock;
    private final SweepLoop sweep = new SweepLoop("mainstay-activations", SWEEP, this::step, LOG);

    /** The state of one version, as {@code GET /v1/admin/workflows} shows it. */
    public enum State {
        ACTIVE, CANDIDATE, RETIRED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @throws ConfigException when a workflow's gate names a suite its newest version does not name
     */
    public Activations(Store store, WorkflowRegistry registry, EvalRuns runs, EvalSuites suites, Clock clock) {
        this.store = store;
        this.registry = registry;
        this.runs = runs;
        this.suites = suites;
        this.clock = clock;
        for (WorkflowDefinition d : registry.all()) {
            WorkflowDefinition newest = registry.newest(d.name()).orElse(d);
            newest.activation().ifPresent(a -> {
                if (suites.of(newest.name(), newest.version()).stream().noneMatch(s -> s.name().equals(a.suite()))) {
                    throw new ConfigException(newest.source() + ": activation.suite: " + newest.name() + " v" + newest.version() + " names no suite '" + a.suite()
                            + "' in evals:; it names " + suites.of(newest.name(), newest.version()).stream().map(EvalSuite::name).toList());
                }
            });
        }
    }

    /** Moves everything on once: records first versions, opens and decides gates, serves the active versions on record. */
    public void step() {
        Map<String, WorkflowActivation> onRecord = store.workflowActivations();
        Instant now = clock.instant();
        for (WorkflowDefinition served : registry.all()) {
            String name = served.name();
            WorkflowDefinition newest = registry.newest(name).orElse(served);
            try {
                WorkflowActivation a = onRecord.get(name);
                if (a == null) {
                    onRecord.put(name, store.firstActivation(name, newest.version(), now, ACTOR,
                            event(now, ACTOR, AuditAction.WORKFLOW_ACTIVATED, name, Json.object().put("version", newest.version())
                                    .put("reason", "the first version of " + name + " on record"))));
                } else if (newest.version() > a.highestVersion()) {
                    if (newest.activation().isEmpty()) {
                        if (store.activateWorkflowVersion(name, newest.version(), a.version(), now, ACTOR,
                                event(now, ACTOR, AuditAction.WORKFLOW_ACTIVATED, name, Json.object().put("version", newest.version()).put("previous_version", a.version())
                                        .put("reason", name + " declares no activation gate: a new version serves once it loads")))) {
                            LOG.info("{} v{} activated: the workflow has no activation gate", name, newest.version());
                        }
                    } else if (store.activationGate(name, newest.version()).isEmpty()) {
                        open(newest, newest.activation().get(), a.version(), now);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("activation of {}: this step failed; the next sweep tries again", name, e);
            }
        }
        for (ActivationGate g : store.undecidedActivationGates()) {
            try {
                decide(g);
            } catch (RuntimeException e) {
                LOG.warn("activation gate of {} v{} (run {}): this step failed; the next sweep tries again", g.workflow(), g.version(), g.runId(), e);
            }
        }
        refresh();
    }

    /** Serves the active versions on record. */
    public void refresh() {
        Map<String, Integer> active = new HashMap<>();
        store.workflowActivations().forEach((name, a) -> active.put(name, servable(name, a.version())));
        registry.serve(active);
    }

    /**
     * The active version on record when this node's files hold it, else the highest they hold below
     * it, else the one on record as stored in the database: a missing file never makes a node serve
     * a candidate.
     */
    private int servable(String name, int version) {
        return registry.loaded(name).stream().map(WorkflowDefinition::version).filter(v -> v <= version).max(Integer::compare).orElse(version);
    }

    private void open(WorkflowDefinition candidate, Activation gate, int activeVersion, Instant now) {
        // Suites are read at start; a gate that a dev-mode reload brought names one only a restart loads.
        EvalSuite suite = suites.suite(gate.suite()).orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND, candidate.name() + " v" + candidate.version()
                + ": the gate's suite '" + gate.suite() + "' was not loaded when this node started; restart it to gate the candidate"));
        WorkflowDefinition baseline = registry.version(candidate.name(), activeVersion).orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND,
                "the active version " + activeVersion + " of " + candidate.name() + " is neither loaded nor on record"));
        Optional<EvalRun> latest = store.finishedEvalRuns(candidate.name(), 10_000).stream()
                .filter(r -> r.version() == activeVersion && r.suite().equals(suite.name()) && r.suiteHash().equals(suite.contentHash()))
                .max(Comparator.comparing(EvalRun::finishedAt));
        String runId = runs.newRunId();
        String baselineRunId = latest.map(EvalRun::id).orElseGet(runs::newRunId);
        if (!store.openActivationGate(new ActivationGate(candidate.name(), candidate.version(), suite.name(), runId, activeVersion, baselineRunId, now, null, null, null))) {
            return; // another node opened it
        }
        LOG.info("{} v{} is a candidate: gate run {} on suite {}, against v{} (run {})", candidate.name(), candidate.version(), runId, suite.name(), activeVersion,
                baselineRunId);
        runs.start(runId, candidate, suite, ACTOR);
        if (latest.isEmpty()) {
            runs.start(baselineRunId, baseline, suite, ACTOR);
        }
    }

    private void decide(ActivationGate g) {
        Optional<EvalRun> run = store.evalRun(g.runId());
        Optional<EvalRun> baseline = store.evalRun(g.baselineRunId());
        if (run.isEmpty() || baseline.isEmpty()) {
            restart(g, run.isEmpty(), baseline.isEmpty());
            return;
        }
        if (run.get().status() != EvalRun.Status.COMPLETED || baseline.get().status() != EvalRun.Status.COMPLETED) {
            return;
        }
        WorkflowDefinition candidate = registry.version(g.workflow(), g.version()).orElse(null);
        Activation gate = candidate == null ? null : registry.newest(g.workflow()).flatMap(WorkflowDefinition::activation).orElse(null);
        if (gate == null) {
            return; // this node does not load the workflow's gate; a node that does decides
        }
        RunComparison cmp = RunComparison.of(runs.results(baseline.get().id()), runs.results(run.get().id()));
        BigDecimal quality = BigDecimal.valueOf(cmp.qualityAfter()).setScale(9, RoundingMode.HALF_EVEN);
        BigDecimal before = BigDecimal.valueOf(cmp.qualityBefore()).setScale(9, RoundingMode.HALF_EVEN);
        BigDecimal regression = before.subtract(quality).max(BigDecimal.ZERO);
        List<String> regressed = cmp.regressed().stream().map(RunComparison.CaseChange::caseId).toList();
        List<String> why = new ArrayList<>();
        boolean scored = run.get().summary() != null && run.get().summary().path("scored").asInt(1) > 0;
        if (!scored) {
            why.add("run " + g.runId() + " scored no case");
        }
        if (quality.compareTo(gate.minScore()) < 0) {
            why.add("quality " + quality.stripTrailingZeros().toPlainString() + " is below min_score " + gate.minScore().toPlainString());
        }
        if (regression.compareTo(gate.maxRegression()) > 0) {
            why.add("quality fell " + regression.stripTrailingZeros().toPlainString() + " below v" + g.baselineVersion() + "'s "
                    + before.stripTrailingZeros().toPlainString() + " (max_regression " + gate.maxRegression().toPlainString() + ")"
                    + (regressed.isEmpty() ? "" : "; regressed: " + String.join(", ", regressed)));
        }
        boolean activate = why.isEmpty();
        Instant now = clock.instant();
        String reason = activate
                ? "quality " + quality.stripTrailingZeros().toPlainString() + " reaches min_score " + gate.minScore().toPlainString() + " and falls "
                + regression.stripTrailingZeros().toPlainString() + " below v" + g.baselineVersion() + " (max_regression " + gate.maxRegression().toPlainString() + ")"
                : String.join("; ", why);
        ObjectNode detail = Json.object();
        detail.put("version", g.version());
        detail.put("previous_version", g.baselineVersion());
        detail.put("suite", g.suite());
        detail.put("run", g.runId());
        detail.put("quality", quality.doubleValue());
        detail.put("baseline_run", g.baselineRunId());
        detail.put("baseline_quality", before.doubleValue());
        detail.put("regression", regression.doubleValue());
        detail.put("min_score", gate.minScore().doubleValue());
        detail.put("max_regression", gate.maxRegression().doubleValue());
        detail.set("regressed", Json.MAPPER.valueToTree(regressed));
        detail.put("reason", reason);
        AuditEvent event = event(now, ACTOR, activate ? AuditAction.WORKFLOW_ACTIVATED : AuditAction.ACTIVATION_REFUSED, g.workflow(), detail);
        if (store.decideActivationGate(g.workflow(), g.version(), activate, detail, now, event)) {
            LOG.info("{} v{} {}: {}", g.workflow(), g.version(), activate ? "activated" : "refused activation", reason);
        }
    }

    /** A gate whose run is not in the store: its node stopped between opening the gate and starting the run. */
    private void restart(ActivationGate g, boolean run, boolean baseline) {
        Optional<EvalSuite> suite = suites.suite(g.suite());
        Optional<WorkflowDefinition> candidate = registry.version(g.workflow(), g.version());
        Optional<WorkflowDefinition> active = registry.version(g.workflow(), g.baselineVersion());
        if (suite.isEmpty() || candidate.isEmpty() || active.isEmpty()) {
            return;
        }
        try {
            if (run) {
                runs.start(g.runId(), candidate.get(), suite.get(), ACTOR);
            }
            if (baseline) {
                runs.start(g.baselineRunId(), active.get(), suite.get(), ACTOR);
            }
        } catch (RuntimeException e) {
            if (store.evalRun(g.runId()).isEmpty() || store.evalRun(g.baselineRunId()).isEmpty()) {
                throw e;
            }
            // another node started them meanwhile
        }
    }

    /**
     * Makes {@code version} the active version of {@code workflow} now: an operator's promotion or
     * rollback, audited with {@code reason}.
     *
     * @return the version that was active before
     * @throws MainstayException {@code unknown_workflow} for a workflow this node does not load,
     *     {@code not_found} for a version its files do not hold
     */
    public int activate(String workflow, int version, String reason, String actor) {
        if (registry.newest(workflow).isEmpty()) {
            throw new MainstayException(ErrorCode.UNKNOWN_WORKFLOW, "no workflow '" + workflow + "' is loaded; GET /v1/admin/workflows lists them");
        }
        List<WorkflowDefinition> loaded = registry.loaded(workflow);
        if (loaded.stream().noneMatch(d -> d.version() == version)) {
            throw new MainstayException(ErrorCode.NOT_FOUND, "workflow '" + workflow + "' has no loaded version " + version + "; its files hold versions "
                    + loaded.stream().map(WorkflowDefinition::version).toList());
        }
        Instant now = clock.instant();
        WorkflowActivation before = store.workflowActivations().get(workflow);
        int previous = before == null ? registry.active(workflow).orElseThrow().version() : before.version();
        ObjectNode details = Json.object().put("version", version).put("previous_version", previous).put("reason", reason);
        details.put("kind", version > previous ? "promotion" : version < previous ? "rollback" : "confirmation");
        store.activateWorkflowVersion(workflow, version, null, now, actor, event(now, actor, AuditAction.WORKFLOW_ACTIVATED, workflow, details));
        LOG.info("{} v{} activated by {} (was v{}): {}", workflow, version, actor, previous, reason);
        refresh();
        return previous;
    }

    /**
     * The candidate the gate of {@code workflow} measures: its newest loaded version, when the
     * workflow declares a gate and that version was never active.
     */
    public Optional<WorkflowDefinition> gatedCandidate(String workflow) {
        Optional<WorkflowDefinition> newest = registry.newest(workflow).filter(d -> d.activation().isPresent());
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        WorkflowActivation a = store.workflowActivations().get(workflow);
        return a != null && newest.get().version() > a.highestVersion() ? newest : Optional.empty();
    }

    /** The state of each loaded version of {@code workflow}. */
    public Map<Integer, State> states(String workflow) {
        WorkflowActivation a = store.workflowActivations().get(workflow);
        Map<Integer, State> out = new java.util.TreeMap<>();
        int active = registry.active(workflow).map(WorkflowDefinition::version).orElse(-1);
        int highest = a == null ? active : Math.max(a.highestVersion(), active);
        for (WorkflowDefinition d : registry.loaded(workflow)) {
            out.put(d.version(), d.version() == active ? State.ACTIVE : d.version() > highest ? State.CANDIDATE : State.RETIRED);
        }
        return out;
    }

    private static AuditEvent event(Instant at, String actor, AuditAction action, String workflow, ObjectNode details) {
        return new AuditEvent(at, actor, action, null, workflow, details);
    }

    /** Starts the sweep: at once, then every {@link #SWEEP}. */
    public void start() {
        sweep.start();
    }

    /** Stops the sweep, letting a step under way finish. */
    @Override
    public void close() {
        sweep.close();
    }
}
