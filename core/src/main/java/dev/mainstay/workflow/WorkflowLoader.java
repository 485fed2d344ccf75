package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import dev.mainstay.config.YamlDocument;
import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the workflow definitions under one or more directories: every {@code *.yaml} /
 * {@code *.yml} file whose top level declares {@code workflow:}, subdirectories included, symbolic
 * links followed. Prompt paths resolve against the workflow file's own directory first, then the
 * directory it was found under; so do the eval suite files a workflow's {@code evals:} names, which
 * must lie under that directory. Files that are not workflows are passed over with a warning
 * naming them, except the prompts and suites a workflow uses and hidden files ({@code .name}).
 */
public final class WorkflowLoader {
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowLoader.class);

    private WorkflowLoader() {
    }

    /**
     * What a scan found.
     *
     * @param definitions the workflows, in path order
     * @param warnings one line per file passed over, each starting with its path
     */
    public record Loaded(List<WorkflowDefinition> definitions, List<String> warnings) {
        public Loaded {
            definitions = List.copyOf(definitions);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Reads {@code root}; files passed over are logged as warnings.
     *
     * @throws ConfigException for the first unusable file, naming file, line and field; and for
     *     two files declaring the same name and version
     */
    public static List<WorkflowDefinition> load(Path root, Set<String> knownRoutes) {
        Loaded loaded = scan(List.of(root), knownRoutes);
        loaded.warnings().forEach(LOG::warn);
        return loaded.definitions();
    }

    /**
     * Reads every directory of {@code roots}, in order.
     *
     * @throws ConfigException for a directory that does not exist, for the first unusable file
     *     (naming file, line and field), and for two files declaring the same name and version
     */
    public static Loaded scan(List<Path> roots, Set<String> knownRoutes) {
        if (roots.isEmpty()) {
            throw new ConfigException("no workflow directory given");
        }
        List<String> warnings = new ArrayList<>();
        // Real path -> where it was first found, so a file reached twice (two roots, a link) is read once.
        Map<Path, Path> seen = new HashMap<>();
        Map<Path, Path> yaml = new LinkedHashMap<>();
        Map<Path, Path> other = new LinkedHashMap<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                throw new ConfigException(display(root) + ": workflow directory does not exist");
            }
            List<Path> files = walk(root, warnings);
            for (Path file : files) {
                Path real;
                try {
                    real = file.toRealPath();
                } catch (IOException e) {
                    warnings.add(display(file) + ": cannot be read (" + e.getMessage() + "); ignored");
                    continue;
                }
                Path first = seen.putIfAbsent(real, file);
                if (first != null) {
                    if (isYaml(file)) {
                        warnings.add(display(file) + ": the same file as " + display(first) + "; read once");
                    }
                    continue;
                }
                (isYaml(file) ? yaml : other).put(file, root);
            }
        }
        List<WorkflowDefinition> out = new ArrayList<>();
        Map<String, String> declared = new HashMap<>();
        // Prompts and suites some workflow uses: no warning for them.
        Set<Path> used = new HashSet<>();
        List<Path> notWorkflows = new ArrayList<>();
        for (Map.Entry<Path, Path> e : yaml.entrySet()) {
            Path file = e.getKey();
            YamlDocument doc = YamlDocument.read(file, display(file));
            if (!looksLikeWorkflow(doc)) {
                // Held back: a workflow later in path order may name it as an eval suite.
                notWorkflows.add(file);
                continue;
            }
            WorkflowDefinition d = parse(doc, file, e.getValue(), knownRoutes, used);
            String key = d.name() + "@" + d.version();
            String other2 = declared.putIfAbsent(key, d.source());
            if (other2 != null) {
                throw new ConfigException(d.source() + ": workflow " + d.name() + " version " + d.version() + " is also declared in " + other2);
            }
            out.add(d);
        }
        for (Path file : notWorkflows) {
            if (!used.contains(real(file))) {
                warnings.add(display(file) + ": not a workflow (no 'workflow:' key at the top level); ignored");
            }
        }
        for (Path file : other.keySet()) {
            if (!used.contains(real(file))) {
                warnings.add(display(file) + ": not a workflow (only *.yaml and *.yml files are) and no workflow uses it as a prompt or an eval suite; ignored");
            }
        }
        return new Loaded(out, warnings);
    }

    public static WorkflowDefinition loadFile(Path file, Path root, Set<String> knownRoutes) {
        return parse(YamlDocument.read(file, display(file)), file, root, knownRoutes, new HashSet<>());
    }

    private static WorkflowDefinition parse(YamlDocument doc, Path file, Path root, Set<String> knownRoutes, Set<Path> used) {
        Map<String, String> locations = new HashMap<>();
        Path top = root.toAbsolutePath().normalize();
        return WorkflowDefinition.parse(doc, (pointer, name) -> {
            for (Path base : List.of(file.getParent(), root)) {
                Path candidate = base.resolve(name).normalize();
                if (Files.isRegularFile(candidate)) {
                    try {
                        String text = Files.readString(candidate);
                        locations.put(name, display(candidate));
                        used.add(real(candidate));
                        return text;
                    } catch (IOException e) {
                        throw doc.error(pointer, "cannot read prompt file " + display(candidate) + ": " + e.getMessage());
                    }
                }
            }
            throw doc.error(pointer, "prompt file '" + name + "' not found next to the workflow or under " + display(root));
        }, name -> locations.getOrDefault(name, name), (pointer, name) -> {
            for (Path base : List.of(file.getParent(), root)) {
                Path candidate = base.resolve(name).toAbsolutePath().normalize();
                if (Files.isRegularFile(candidate)) {
                    if (!candidate.startsWith(top)) {
                        throw doc.error(pointer, "suite file " + display(candidate) + " is outside the workflow directory " + display(root));
                    }
                    used.add(real(candidate));
                    return candidate;
                }
            }
            throw doc.error(pointer, "suite file '" + name + "' not found next to the workflow or under " + display(root));
        }, knownRoutes);
    }

    /**
     * Every regular file under {@code root}, links followed, hidden entries skipped. A link that
     * leads back into its own ancestry, or nowhere, is passed over with a warning.
     */
    private static List<Path> walk(Path root, List<String> warnings) {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (hidden(file)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (attrs.isRegularFile()) {
                        files.add(file);
                    } else if (attrs.isSymbolicLink()) {
                        warnings.add(display(file) + ": a symbolic link to nothing that exists; ignored");
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof FileSystemLoopException) {
                        warnings.add(display(file) + ": a symbolic link back to a directory that contains it; not followed");
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new ConfigException(display(root) + ": cannot list workflow directory: " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    /** A YAML file is a workflow when it says so, or when it has a workflow's parts but lost its name to a typo. */
    private static boolean looksLikeWorkflow(YamlDocument doc) {
        return doc.root().isObject() && (doc.root().has("workflow") || doc.root().has("stages"));
    }

    private static boolean isYaml(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static boolean hidden(Path p) {
        return p.getFileName() != null && p.getFileName().toString().startsWith(".");
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static String display(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    }
}
