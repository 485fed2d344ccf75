package dev.mainstay.access;

import dev.mainstay.workflow.YamlDocument;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which key roles may run a workflow and which may read its jobs, from the workflow's
 * {@code access: { run: [roles], read: [roles] }}. An empty set means any key of the account:
 * a workflow without {@code access} is open to every key of every account that calls it.
 *
 * <p>The two are independent: a key that may run but not read still gets the answer to its own
 * submit (the job envelope of that POST), but cannot fetch, list or follow the workflow's jobs.
 *
 * <p>This is the one check of a key's roles: a key without a role in {@code run} is refused with
 * {@code 403 forbidden} before its input is read. {@code eligibility.roles}, an older spelling,
 * is read as {@code run}; a workflow may not give both.
 */
public record WorkflowAccess(Set<String> run, Set<String> read) {
    /** No restriction: any key of the account may run and read. */
    public static final WorkflowAccess ANY = new WorkflowAccess(Set.of(), Set.of());
    /** What a role name looks like, here and on keys. */
    public static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");

    public WorkflowAccess {
        run = Set.copyOf(run);
        read = Set.copyOf(read);
    }

    public boolean mayRun(Principal principal) {
        return allows(run, principal);
    }

    public boolean mayRead(Principal principal) {
        return allows(read, principal);
    }

    private static boolean allows(Set<String> roles, Principal principal) {
        if (roles.isEmpty()) {
            return true;
        }
        for (String role : principal.roles()) {
            if (roles.contains(role)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads {@code /access} of a workflow document.
     *
     * @throws dev.mainstay.ConfigException naming the file and field
     */
    public static WorkflowAccess parse(YamlDocument doc) {
        Set<String> eligible = eligibilityRoles(doc);
        if (!doc.has("/access")) {
            return eligible.isEmpty() ? ANY : new WorkflowAccess(eligible, Set.of());
        }
        doc.requireObject("/access");
        doc.onlyKeys("/access", "run", "read");
        if (!eligible.isEmpty() && doc.has("/access/run")) {
            throw doc.error("/eligibility/roles", "is the older spelling of access.run, and access.run is given too; keep the roles in access.run alone"
                    + " (a key's roles are checked once, by access.run)");
        }
        Set<String> run = doc.has("/access/run") ? roles(doc, "/access/run") : eligible;
        return new WorkflowAccess(run, roles(doc, "/access/read"));
    }

    /**
     * {@code eligibility.roles}: the roles that may run the workflow, as workflows wrote them
     * before {@code access} existed. Read as they were then: one name or a list, an empty list
     * meaning any key.
     */
    private static Set<String> eligibilityRoles(YamlDocument doc) {
        if (!doc.has("/eligibility/roles") || !doc.node("/eligibility").isObject()) {
            return Set.of();
        }
        return Set.copyOf(doc.textList("/eligibility/roles"));
    }

    private static Set<String> roles(YamlDocument doc, String pointer) {
        if (!doc.has(pointer)) {
            return Set.of();
        }
        if (!doc.node(pointer).isArray() || doc.node(pointer).isEmpty()) {
            throw doc.error(pointer, "must be a non-empty list of role names, e.g. [member, support-agent]; leave it out to allow any key");
        }
        List<String> names = doc.textList(pointer);
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < names.size(); i++) {
            if (!ROLE.matcher(names.get(i)).matches()) {
                throw doc.error(pointer + "/" + i, "'" + names.get(i) + "' is not a role name (lowercase letters, digits, '-' and '_', at most 40)");
            }
            out.add(names.get(i));
        }
        return out;
    }
}
