package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads every {@code *.yaml} / {@code *.yml} under a directory as a workflow definition. Prompt
 * paths resolve against the workflow file's own directory first, then the root directory.
 */
public final class WorkflowLoader {
    private WorkflowLoader() {
    }

    /**
     * @throws ConfigException for the first unusable file, naming file, line and field; and for
     *     two files declaring the same name and version
     */
    public static List<WorkflowDefinition> load(Path root, Set<String> knownRoutes) {
        if (!Files.isDirectory(root)) {
            throw new ConfigException(root + ": workflow directory does not exist");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".yaml") || p.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ConfigException(root + ": cannot list workflow directory: " + e.getMessage(), e);
        }
        List<WorkflowDefinition> out = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Path file : files) {
            WorkflowDefinition d = loadFile(file, root, knownRoutes);
            String key = d.name() + "@" + d.version();
            String other = seen.putIfAbsent(key, d.source());
            if (other != null) {
                throw new ConfigException(d.source() + ": workflow " + d.name() + " version " + d.version() + " is also declared in " + other);
            }
            out.add(d);
        }
        return out;
    }

    public static WorkflowDefinition loadFile(Path file, Path root, Set<String> knownRoutes) {
        String display = display(file);
        YamlDocument doc = YamlDocument.read(file, display);
        return WorkflowDefinition.parse(doc, (pointer, name) -> {
            for (Path base : List.of(file.getParent(), root)) {
                Path candidate = base.resolve(name).normalize();
                if (Files.isRegularFile(candidate)) {
                    try {
                        return Files.readString(candidate);
                    } catch (IOException e) {
                        throw doc.error(pointer, "cannot read prompt file " + display(candidate) + ": " + e.getMessage());
                    }
                }
            }
            throw doc.error(pointer, "prompt file '" + name + "' not found next to the workflow or under " + display(root));
        }, knownRoutes);
    }

    private static String display(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    }
}
