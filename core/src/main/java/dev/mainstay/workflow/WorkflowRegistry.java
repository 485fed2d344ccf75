package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.store.WorkflowVersionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workflows a node serves. Each loaded version is registered in the store with its content
 * hash; a file that changed under a version number already on record is refused. New jobs get
 * the version {@link #serve} names (the active version on record), else the highest loaded; jobs
 * stay pinned to their version, which is read back from the store when its file is gone.
 *
 * <p>In dev mode ({@code ./mainstay up --dev}) a changed file is served instead as a <em>draft</em>
 * of its version ({@link WorkflowDefinition#asDraft()}): the record in the store keeps the hash it
 * was registered with, and the node keeps the draft in memory, replacing it at every
 * {@link #reload}. A job of that version runs the definition in force when its stage runs.
 */
public final class WorkflowRegistry {
    private final WorkflowVersionStore store;
    private final boolean dev;
    private volatile Map<String, WorkflowDefinition> active;
    /** The content hash of every version the files held at the last load, by name@version. */
    private volatile Map<String, String> fromFiles = Map.of();
    private final Map<String, WorkflowDefinition> versions = new ConcurrentHashMap<>();
    /** The versions the store says serve, by name ({@link #serve}); a name without one serves its highest loaded version. */
    private volatile Map<String, WorkflowDefinition> served = Map.of();

    private WorkflowRegistry(WorkflowVersionStore store, boolean dev) {
        this.store = store;
        this.dev = dev;
        this.active = Map.of();
    }

    /**
     * What a dev-mode load changed about one workflow version.
     *
     * @param kind {@code served} (now served as on record: new, or back to its registered content),
     *     {@code draft} (the file differs from the version on record), {@code removed} (no file
     *     declares the name any more)
     * @param registeredHash the content hash on record, when it differs from {@code contentHash}
     */
    public record Change(String kind, String workflow, int version, String contentHash, String registeredHash) {
        @Override
        public String toString() {
            return switch (kind) {
                case "draft" -> workflow + " v" + version + " draft " + ContentHash.shortForm(contentHash) + " (registered " + ContentHash.shortForm(registeredHash) + ")";
                case "removed" -> workflow + " v" + version + " no longer served: no file declares it";
                default -> workflow + " v" + version + " " + ContentHash.shortForm(contentHash);
            };
        }
    }

    /**
     * Registers {@code definitions} in the store.
     *
     * @throws ConfigException listing every definition whose content changed under an existing version
     */
    public static WorkflowRegistry register(WorkflowVersionStore store, Collection<WorkflowDefinition> definitions, Instant now) {
        return register(store, definitions, now, false);
    }

    /**
     * Registers {@code definitions} in the store; with {@code dev}, a definition whose content
     * changed under an existing version is served as a draft instead of refused.
     *
     * @throws ConfigException listing every definition whose content changed under an existing
     *     version, outside dev mode
     */
    public static WorkflowRegistry register(WorkflowVersionStore store, Collection<WorkflowDefinition> definitions, Instant now, boolean dev) {
        WorkflowRegistry registry = new WorkflowRegistry(store, dev);
        registry.load(definitions, now);
        return registry;
    }

    /** Whether edited files are served as drafts. */
    public boolean dev() {
        return dev;
    }

    /** The drafts being served (dev mode), empty when every workflow is served as on record. */
    public List<WorkflowDefinition> drafts() {
        return active.values().stream().filter(WorkflowDefinition::draft).toList();
    }

    /**
     * Dev mode: serves {@code definitions}, just read again from the files, in place of the current
     * ones. New versions are registered; edited ones become drafts; a file back to its registered
     * content is served as registered again; a name no file declares any more stops being served
     * (its jobs still find their version).
     *
     * @return what changed since the last load; empty when nothing did
     * @throws IllegalStateException outside dev mode
     */
    public synchronized List<Change> reload(Collection<WorkflowDefinition> definitions, Instant now) {
        if (!dev) {
            throw new IllegalStateException("workflows are reloaded in dev mode only. Indicates a bug.");
        }
        Map<String, String> before = fromFiles;
        Map<String, WorkflowDefinition> oldActive = active;
        Map<String, String> onRecord = load(definitions, now);
        List<Change> changes = new ArrayList<>();
        for (WorkflowDefinition d : definitions) {
            if (!d.contentHash().equals(before.get(key(d.name(), d.version())))) {
                String recorded = onRecord.get(key(d.name(), d.version()));
                boolean draft = !recorded.equals(d.contentHash());
                changes.add(new Change(draft ? "draft" : "served", d.name(), d.version(), d.contentHash(), draft ? recorded : null));
            }
        }
        for (WorkflowDefinition gone : oldActive.values()) {
            if (!active.containsKey(gone.name())) {
                changes.add(new Change("removed", gone.name(), gone.version(), gone.contentHash(), null));
            }
        }
        return changes;
    }

    /** Registers and serves {@code definitions}; returns the hash on record of each, by name@version. */
    private Map<String, String> load(Collection<WorkflowDefinition> definitions, Instant now) {
        Map<String, WorkflowDefinition> next = new TreeMap<>();
        Map<String, WorkflowDefinition> loaded = new java.util.HashMap<>();
        Map<String, String> recorded = new java.util.HashMap<>();
        List<String> problems = new ArrayList<>();
        for (WorkflowDefinition d : definitions) {
            String onRecord = store.registerWorkflowVersion(d.name(), d.version(), d.contentHash(), Json.canonical(d.document()), now);
            recorded.put(key(d.name(), d.version()), onRecord);
            WorkflowDefinition served = d;
            if (!onRecord.equals(d.contentHash())) {
                if (!dev) {
                    problems.add(d.source() + ": workflow " + d.name() + " version " + d.version()
                            + " is already registered with content hash " + ContentHash.shortForm(onRecord)
                            + ", but the file (with its prompts) now hashes to " + ContentHash.shortForm(d.contentHash())
                            + ". Versions are immutable: raise 'version:' to publish the change.");
                    continue;
                }
                served = d.asDraft();
            }
            loaded.put(key(d.name(), d.version()), served);
            next.merge(d.name(), served, (a, b) -> a.version() >= b.version() ? a : b);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("\n", problems));
        }
        versions.putAll(loaded);
        Map<String, WorkflowDefinition> pinned = new java.util.HashMap<>();
        served.forEach((name, d) -> {
            if (next.containsKey(name)) {
                pinned.put(name, loaded.getOrDefault(key(name, d.version()), d)); // a dev-mode reload's new draft of the pinned version
            }
        });
        served = Map.copyOf(pinned);
        active = Collections.unmodifiableMap(next);
        Map<String, String> hashes = new java.util.HashMap<>();
        loaded.forEach((k, d) -> hashes.put(k, d.contentHash()));
        fromFiles = Map.copyOf(hashes);
        return recorded;
    }

    /** The version new submissions of {@code name} run. */
    public Optional<WorkflowDefinition> active(String name) {
        WorkflowDefinition d = active.get(name);
        if (d == null) {
            return Optional.empty();
        }
        return Optional.of(served.getOrDefault(name, d));
    }

    public Collection<WorkflowDefinition> all() {
        Map<String, WorkflowDefinition> pinned = served;
        if (pinned.isEmpty()) {
            return active.values();
        }
        return active.values().stream().map(d -> pinned.getOrDefault(d.name(), d)).toList();
    }

    /** The highest loaded version of {@code name}: the newest its files hold, active or not. */
    public Optional<WorkflowDefinition> newest(String name) {
        return Optional.ofNullable(active.get(name));
    }

    /** Every version of {@code name} the files hold, lowest first. */
    public List<WorkflowDefinition> loaded(String name) {
        return versions.values().stream().filter(d -> d.name().equals(name) && fromFiles.containsKey(key(d.name(), d.version())))
                .sorted(java.util.Comparator.comparingInt(WorkflowDefinition::version)).toList();
    }

    /**
     * Serves, for each workflow named, the version given instead of the highest loaded one: the
     * active versions on record in the store (see {@code dev.mainstay.engine.Activations}). A
     * version neither loaded nor on record is skipped, and its workflow keeps its highest loaded
     * version.
     */
    public synchronized void serve(Map<String, Integer> activeVersions) {
        Map<String, WorkflowDefinition> next = new java.util.HashMap<>();
        activeVersions.forEach((name, v) -> {
            // Kept even when it is the highest loaded: a dev-mode reload that brings a higher
            // version must not serve it before the next call says whether it is active.
            if (active.containsKey(name)) {
                version(name, v).ifPresent(d -> next.put(name, d));
            }
        });
        if (!next.equals(served)) {
            served = Map.copyOf(next);
        }
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
