package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import dev.mainstay.ContentHash;
import dev.mainstay.store.WorkflowVersionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workflows a node serves. Each loaded version is registered in the store with its content
 * hash; a file that changed under a version number already on record is refused. The highest
 * loaded version of a name is the one new jobs get; jobs stay pinned to their version, which is
 * read back from the store when its file is gone.
 */
public final class WorkflowRegistry {
    private final WorkflowVersionStore store;
    private final Map<String, WorkflowDefinition> active;
    private final Map<String, WorkflowDefinition> versions = new ConcurrentHashMap<>();

    private WorkflowRegistry(WorkflowVersionStore store, Map<String, WorkflowDefinition> active) {
        this.store = store;
        this.active = active;
    }

    /**
     * Registers {@code definitions} in the store.
     *
     * @throws ConfigException listing every definition whose content changed under an existing version
     */
    public static WorkflowRegistry register(WorkflowVersionStore store, Collection<WorkflowDefinition> definitions, Instant now) {
        Map<String, WorkflowDefinition> active = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        WorkflowRegistry registry = new WorkflowRegistry(store, active);
        for (WorkflowDefinition d : definitions) {
            String onRecord = store.registerWorkflowVersion(d.name(), d.version(), d.contentHash(), dev.mainstay.Json.canonical(d.document()), now);
            if (!onRecord.equals(d.contentHash())) {
                problems.add(d.source() + ": workflow " + d.name() + " version " + d.version()
                        + " is already registered with content hash " + ContentHash.shortForm(onRecord)
                        + ", but the file (with its prompts) now hashes to " + ContentHash.shortForm(d.contentHash())
                        + ". Versions are immutable: raise 'version:' to publish the change.");
                continue;
            }
            registry.versions.put(key(d.name(), d.version()), d);
            active.merge(d.name(), d, (a, b) -> a.version() >= b.version() ? a : b);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("\n", problems));
        }
        return registry;
    }

    /** The version new submissions of {@code name} run. */
    public Optional<WorkflowDefinition> active(String name) {
        return Optional.ofNullable(active.get(name));
    }

    public Collection<WorkflowDefinition> all() {
        return active.values();
    }

    /** A pinned version, from memory or from the store. */
    public Optional<WorkflowDefinition> version(String name, int version) {
        WorkflowDefinition d = versions.get(key(name, version));
        if (d != null) {
            return Optional.of(d);
        }
        return store.workflowDefinition(name, version).map(json -> {
            WorkflowDefinition stored = WorkflowDefinition.fromStored(json, "stored definition of " + name + " v" + version);
            versions.put(key(name, version), stored);
            return stored;
        });
    }

    private static String key(String name, int version) {
        return name + "@" + version;
    }
}
