package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;

import dev.mainstay.ErrorCode;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.engine.Engine;
import dev.mainstay.review.ReviewNotFoundException;
import dev.mainstay.job.Job;
import dev.mainstay.review.Review;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.util.List;
import java.util.Set;

/**
 * What a key may see and do with the jobs and reviews of its account: a workflow's {@code access}
 * roles decide. Another account's job or review does not exist for the caller (404, the same
 * answer as for an id that never existed); a job of the caller's account that its roles do not
 * cover is {@code 403 forbidden}.
 */
final class Permissions {
    private final Engine engine;
    private final Store store;
    private final WorkflowRegistry registry;

    Permissions(Engine engine, Store store, WorkflowRegistry registry) {
        this.engine = engine;
        this.store = store;
        this.registry = registry;
    }

    /** The caller's job {@code id}, which its key may read. */
    Job readableJob(Principal p, String id) {
        return job(p, id, false);
    }

    /** The caller's job {@code id}, which its key may run again or cancel. */
    Job runnableJob(Principal p, String id) {
        return job(p, id, true);
    }

    private Job job(Principal p, String id, boolean run) {
        Job job = engine.job(p.accountId(), id);
        WorkflowAccess access = access(job.workflow(), job.workflowVersion());
        if (run ? !access.mayRun(p) : !access.mayRead(p)) {
            throw forbidden(p, (run ? "run or cancel jobs of " : "read jobs of ") + job.workflow(), run ? access.run() : access.read());
        }
        return job;
    }

    /** The caller's review {@code id}, which its key may read and decide. */
    Review readableReview(Principal p, String id) {
        Review review = store.review(id).filter(r -> r.accountId().equals(p.accountId())).orElseThrow(() -> new ReviewNotFoundException(id));
        WorkflowAccess access = active(review.workflow());
        if (!access.mayRead(p)) {
            throw forbidden(p, "read or decide reviews of " + review.workflow(), access.read());
        }
        return review;
    }

    /** Refuses a listing filtered to {@code workflow} when the key may not read its jobs. */
    void requireRead(Principal p, String workflow) {
        if (!mayRead(p, workflow)) {
            throw forbidden(p, "read jobs of " + workflow, registry.active(workflow).map(w -> w.access().read()).orElse(Set.of()));
        }
    }

    /** Refuses a submit to {@code workflow} when the key may not run it. */
    void requireRun(Principal p, WorkflowDefinition workflow) {
        if (!workflow.access().mayRun(p)) {
            throw forbidden(p, "run " + workflow.name(), workflow.access().run());
        }
    }

    boolean mayRead(Principal p, String workflow) {
        return active(workflow).mayRead(p);
    }

    private WorkflowAccess active(String workflow) {
        return registry.active(workflow).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY);
    }

    /**
     * Which roles a workflow's jobs need: the active version's rules, so that tightening
     * {@code access} in a new version also covers the jobs of older ones.
     */
    private WorkflowAccess access(String workflow, int version) {
        return registry.active(workflow).or(() -> registry.version(workflow, version)).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY);
    }

    /** {@code 403}: the key may not {@code what}, with the roles that would allow it and the ones it has. */
    private static ApiException forbidden(Principal p, String what, Set<String> needed) {
        return refuse(ErrorCode.FORBIDDEN, "this key may not " + what + ": it needs one of the roles " + sorted(needed) + " and has " + sorted(p.roles()));
    }

    private static List<String> sorted(Set<String> roles) {
        return roles.stream().sorted().toList();
    }
}
