package dev.mainstay.workflow;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * One entry of a workflow's {@code evals:} list: an eval suite file, as written and as found.
 *
 * @param path the path as the workflow wrote it, e.g. {@code evals/classify.yaml}
 * @param file the file it resolved to (next to the workflow, else under the workflow directory)
 * @param where {@code file:line} of the entry, for messages about the suite that name who uses it
 */
public record SuiteReference(String path, Path file, String where) {
    static final Pattern SUITE_FILE = Pattern.compile(".*[^/]\\.(yaml|yml|jsonl)");

    public SuiteReference {
        if (path == null || file == null || where == null) {
            throw new IllegalArgumentException("a suite reference needs its path, file and where");
        }
    }

    /** Whether the file is JSON Lines (one JSON value a line) rather than YAML. */
    public boolean jsonLines() {
        return path.endsWith(".jsonl");
    }
}
