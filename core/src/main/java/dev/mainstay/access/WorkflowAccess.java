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
        if (!doc.has("/access")) {
            return ANY;
        }
        doc.requireObject("/access");
        doc.onlyKeys("/access", "run", "read");
        return new WorkflowAccess(roles(doc, "/access/run"), roles(doc, "/access/read"));
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
