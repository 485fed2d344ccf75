package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.Violation;
import dev.mainstay.evals.CorrectionRejectedException;
import dev.mainstay.evals.EvalCase;
import dev.mainstay.evals.EvalSuite;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.evals.Subject;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.review.Review;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Eval cases captured from real jobs: a job's stored input with, as the expected answer, either
 * the job's own result or a correction a person wrote (checked against the output schema of the
 * version the job ran). Kept in the store under their suite, so that every node's runs of the
 * suite take them after the file's cases; added and removed in the audit log.
 */
public final class EvalCases {
    /** Cases per page when listing, unless asked otherwise. */
    public static final int DEFAULT_PAGE = 50;
    public static final int MAX_PAGE = 500;
    public static final int MAX_TAGS = 20;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern TAG = Pattern.compile("\\S.{0,63}", Pattern.DOTALL);

    private final Store store;
    private final WorkflowRegistry registry;
    private final EvalSuites suites;
    private final Clock clock;
    private final JobIds ids;

    public EvalCases(Store store, WorkflowRegistry registry, EvalSuites suites, Clock clock) {
        this.store = store;
        this.registry = registry;
        this.suites = suites;
        this.clock = clock;
        this.ids = new JobIds(clock);
    }

    /**
     * What a capture asks for.
     *
     * @param expect {@link StoredEvalCase#OUTPUT} or {@link StoredEvalCase#CORRECTION}
     * @param correction the expected answer when {@code expect} is a correction; {@code null} otherwise
     * @param name the case's id in its suite; {@code null} for the job's id
     * @param pointer where the request carried these fields, for the JSON pointers of its problems
     *     ({@code ""} for a body of their own, {@code "/save_as_case"} inside a review decision)
     */
    public record Capture(String suite, String jobId, String expect, JsonNode correction, String name, List<String> tags, String reviewId, String pointer) {
        public Capture {
            tags = List.copyOf(tags == null ? List.of() : tags);
            pointer = pointer == null ? "" : pointer;
        }
    }

    /** The loaded suite named {@code name}. @throws MainstayException {@code not_found} when no loaded workflow names it */
    public EvalSuite suite(String name) {
        return suites.suite(name).orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND, "no loaded workflow names an eval suite '" + name + "'"));
    }

    /**
     * Checks a capture against its suite, its job and the job's workflow version, storing nothing.
     *
     * @param correctionAt where the correction is in the request, for its problems' pointers
     * @throws InvalidInputException naming each bad field by JSON pointer
     * @throws CorrectionRejectedException when the correction breaks the output schema of the job's version
     */
    public StoredEvalCase check(Capture c, String correctionAt, String actor) {
        EvalSuite suite = suite(c.suite());
        String at = c.pointer();
        List<Violation> bad = new ArrayList<>();
        String name = c.name() == null ? c.jobId() : c.name();
        if (!NAME.matcher(name).matches()) {
            bad.add(new Violation(at + "/name", "must be 1 to 128 letters, digits, '.', '_' or '-'"));
        } else if (suite.kase(name).isPresent()) {
            bad.add(new Violation(at + "/name", "suite " + suite.name() + " already has a case '" + name + "' in " + suite.source() + "; give this one another name"));
        } else if (store.evalCase(suite.name(), name).isPresent()) {
            bad.add(new Violation(at + "/name", "suite " + suite.name() + " already has a stored case '" + name + "'; give this one another name"));
        }
        if (c.tags().size() > MAX_TAGS) {
            bad.add(new Violation(at + "/tags", "at most " + MAX_TAGS + " tags, got " + c.tags().size()));
        }
        for (int i = 0; i < c.tags().size(); i++) {
            if (!TAG.matcher(c.tags().get(i)).matches()) {
                bad.add(new Violation(at + "/tags/" + i, "must be 1 to 64 characters, not starting with a space"));
            }
        }
        Optional<Job> found = store.job(c.jobId());
        if (found.isEmpty()) {
            bad.add(new Violation(at + "/job", "no job " + c.jobId()));
            throw new InvalidInputException("the case cannot be taken from job " + c.jobId(), bad);
        }
        Job job = found.get();
        Optional<WorkflowDefinition> version = registry.version(job.workflow(), job.workflowVersion());
        boolean named = suites.of(job.workflow(), job.workflowVersion()).contains(suite)
                || registry.active(job.workflow()).map(d -> suites.of(d.name(), d.version()).contains(suite)).orElse(false);
        if (version.isEmpty()) {
            bad.add(new Violation(at + "/job", "job " + job.id() + " ran " + job.workflow() + " v" + job.workflowVersion() + ", which is not loaded"));
        } else if (!named) {
            bad.add(new Violation(at + "/job", "job " + job.id() + " ran " + job.workflow() + " v" + job.workflowVersion() + ", which does not name suite "
                    + suite.name() + "; it names " + suites.of(job.workflow(), job.workflowVersion()).stream().map(EvalSuite::name).toList()));
        }
        if (job.input() == null) {
            bad.add(new Violation(at + "/job", "job " + job.id() + "'s input is gone (its payloads expired at " + job.payloadsExpiredAt() + ")"));
        }
        JsonNode expected = null;
        List<Violation> breaks = new ArrayList<>();
        if (StoredEvalCase.OUTPUT.equals(c.expect())) {
            if (c.correction() != null) {
                bad.add(new Violation(at + "/correction", "only a case that expects a correction carries one"));
            }
            if (job.result() == null || job.result().isNull()) {
                bad.add(new Violation(at + "/expect", "job " + job.id() + " holds no result to expect (status " + job.status().wire()
                        + (job.error() == null ? "" : ", " + job.error().code().code()) + "); expect a correction instead"));
            } else {
                expected = job.result();
            }
        } else if (StoredEvalCase.CORRECTION.equals(c.expect())) {
            if (c.correction() == null || c.correction().isNull() || c.correction().isMissingNode()) {
                bad.add(new Violation(correctionAt, "required: the answer the job should have given"));
            } else if (version.isPresent()) {
                Optional<JsonSchema> schema = Subject.of(version.get()).outputSchema();
                if (schema.isPresent()) {
                    for (Violation v : schema.get().validate(c.correction())) {
                        breaks.add(new Violation(correctionAt + v.pointer(), v.message()));
                    }
                }
                expected = c.correction();
            }
        } else {
            bad.add(new Violation(at + "/expect", "must be output or correction"));
        }
        if (!bad.isEmpty()) {
            throw new InvalidInputException("the case cannot be taken from job " + job.id(), bad);
        }
        if (!breaks.isEmpty()) {
            throw new CorrectionRejectedException("the correction does not satisfy the output schema of " + job.workflow() + " v" + job.workflowVersion()
                    + " (job " + job.id() + "): " + breaks.size() + " violation(s)", breaks);
        }
        return new StoredEvalCase(ids.next("evc"), suite.name(), name, job.workflow(), job.workflowVersion(), job.id(), c.reviewId(), c.expect(),
                job.input().deepCopy(), expected.deepCopy(), c.tags(), actor, clock.instant());
    }

    /**
     * Checks that a review's edit can be saved as a case of {@code suite}: the review is of the
     * job's last stage (whose output is the job's result), and the edit, its correction, satisfies
     * that stage's output schema. Stores nothing.
     *
     * @param at where the request carries the case's fields ({@code /save_as_case})
     * @param outputAt where it carries the edited output ({@code /output})
     */
    public StoredEvalCase checkEdit(Review review, JsonNode output, String suite, String name, List<String> tags, String actor, String at, String outputAt) {
        Optional<WorkflowDefinition> d = store.job(review.jobId()).flatMap(j -> registry.version(j.workflow(), j.workflowVersion()));
        if (d.isPresent() && review.stageIndex() != d.get().stages().size() - 1) {
            throw new InvalidInputException("review " + review.id() + " cannot be saved as a case", List.of(new Violation(at,
                    "review " + review.id() + " is of stage '" + review.stageId() + "', not the last stage of " + d.get().name() + " v" + d.get().version()
                            + ": its edit is not the job's result")));
        }
        return check(new Capture(suite, review.jobId(), StoredEvalCase.CORRECTION, output, name, tags, review.id(), at), outputAt, actor);
    }

    /**
     * Stores a checked case and audits it.
     *
     * @throws InvalidInputException when another request took its name meanwhile
     */
    public StoredEvalCase add(StoredEvalCase k, String pointer) {
        if (!store.addEvalCase(k)) {
            throw new InvalidInputException("the case cannot be stored", List.of(new Violation(pointer + "/name",
                    "suite " + k.suite() + " already has a stored case '" + k.name() + "'; give this one another name")));
        }
        ObjectNode details = Json.object().put("suite", k.suite()).put("case", k.name()).put("job", k.jobId()).put("expect", k.expect())
                .put("review", k.reviewId());
        store.audit(List.of(new AuditEvent(clock.instant(), k.createdBy(), AuditAction.EVAL_CASE_ADDED, null, k.id(), details)));
        return k;
    }

    /** A page of {@code suite}'s stored cases. */
    public List<StoredEvalCase> list(String suite, String after, int limit) {
        return store.evalCases(suite(suite).name(), after, limit);
    }

    /** Removes a stored case and audits it. @throws MainstayException {@code not_found} when the suite has no stored case {@code id} */
    public void delete(String suite, String id, String actor) {
        String name = suite(suite).name();
        if (!store.deleteEvalCase(name, id)) {
            throw new MainstayException(ErrorCode.NOT_FOUND, "suite " + name + " has no stored case " + id);
        }
        store.audit(List.of(new AuditEvent(clock.instant(), actor, AuditAction.EVAL_CASE_DELETED, null, id, Json.object().put("suite", name))));
    }

    /**
     * A stored case as a line of a JSON Lines suite ({@code ./mainstay eval export-cases}): its
     * name as the case id, where it came from as the description, input, expected answer and tags.
     * A suite file that takes the line in needs the case removed from the store, or another name.
     */
    public static ObjectNode asSuiteLine(StoredEvalCase k) {
        ObjectNode o = Json.object().put("id", k.name()).put("description", asCase(k).description());
        o.set("input", k.input());
        o.set("expected", k.expected());
        if (!k.tags().isEmpty()) {
            o.set("tags", Json.MAPPER.valueToTree(k.tags()));
        }
        return o;
    }

    /** A stored case as a run judges it: the suite's scorers, with the stored expectation as the reference answer. */
    public static EvalCase asCase(StoredEvalCase k) {
        return new EvalCase(k.name(), "from job " + k.jobId() + (k.reviewId() == null ? "" : " and review " + k.reviewId()), k.input(), k.expected(),
                List.of(), k.tags(), "stored case " + k.id());
    }
}
