package dev.mainstay.evals;

import dev.mainstay.ConfigException;
import dev.mainstay.workflow.SuiteReference;
import dev.mainstay.workflow.WorkflowDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every eval suite the loaded workflows name, read and checked once at start (and by
 * {@code ./mainstay workflows validate}), so that a broken suite stops the start naming file, line
 * and field instead of failing a run later. A suite file may be named by several workflows (the
 * versions of one workflow usually share theirs): it is checked against each of them.
 */
public final class EvalSuites {
    public static final EvalSuites NONE = new EvalSuites(Map.of(), Map.of());

    private final Map<String, EvalSuite> byName;
    private final Map<String, List<String>> byWorkflow;

    private EvalSuites(Map<String, EvalSuite> byName, Map<String, List<String>> byWorkflow) {
        this.byName = byName;
        this.byWorkflow = byWorkflow;
    }

    /**
     * Reads the suites of {@code definitions}.
     *
     * @param knownRoutes route names from configuration, which a model-graded scorer must use; empty to skip the check
     * @throws ConfigException naming file, line and field of the first problem; and for two files declaring one suite name
     */
    public static EvalSuites load(List<WorkflowDefinition> definitions, Set<String> knownRoutes) {
        Map<String, EvalSuite> byName = new LinkedHashMap<>();
        Map<Path, EvalSuite> byFile = new LinkedHashMap<>();
        Map<String, List<String>> byWorkflow = new LinkedHashMap<>();
        for (WorkflowDefinition d : definitions) {
            List<String> names = new ArrayList<>();
            for (SuiteReference ref : d.evals()) {
                EvalSuite suite = SuiteParser.parse(ref, d, knownRoutes);
                Path real = real(ref.file());
                EvalSuite first = byFile.putIfAbsent(real, suite);
                if (first == null) {
                    EvalSuite other = byName.putIfAbsent(suite.name(), suite);
                    if (other != null) {
                        throw new ConfigException(suite.source() + ": suite '" + suite.name() + "' is also declared in " + other.source()
                                + "; suite names are unique across the workflow directories");
                    }
                } else {
                    suite = first;
                }
                if (names.contains(suite.name())) {
                    throw new ConfigException(ref.where() + ": evals: suite '" + suite.name() + "' is named twice by " + d.name() + " v" + d.version());
                }
                names.add(suite.name());
            }
            byWorkflow.put(key(d.name(), d.version()), List.copyOf(names));
        }
        return new EvalSuites(java.util.Collections.unmodifiableMap(byName), java.util.Collections.unmodifiableMap(byWorkflow));
    }

    /** Every suite, in the order the workflows name them. */
    public List<EvalSuite> all() {
        return List.copyOf(byName.values());
    }

    public Optional<EvalSuite> suite(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The suites a workflow version names, in its order. */
    public List<EvalSuite> of(String workflow, int version) {
        return byWorkflow.getOrDefault(key(workflow, version), List.of()).stream().map(byName::get).toList();
    }

    /** Cases over every suite. */
    public int caseCount() {
        return byName.values().stream().mapToInt(s -> s.cases().size()).sum();
    }

    private static String key(String workflow, int version) {
        return workflow + "@" + version;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
