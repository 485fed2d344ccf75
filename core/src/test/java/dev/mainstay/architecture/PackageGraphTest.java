package dev.mainstay.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Core's packages form a graph without cycles, read from the compiled classes: a package that
 * reaches back to one that imports it can no longer be understood, tested or moved on its own.
 * See docs/architecture.md for which package may import which.
 */
class PackageGraphTest {
    private static final ArchRule NO_CYCLES = slices().matching("dev.mainstay.(*)..")
            .should().beFreeOfCycles();
    private static final int MAX_SOURCE_LINES = 600;

    @Test
    void coresPackagesImportEachOtherWithoutCycles() {
        JavaClasses core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.mainstay");
        assertThat(core.contain(dev.mainstay.workflow.WorkflowDefinition.class))
                .as("the main classes of core are imported").isTrue();

        NO_CYCLES.check(core);
    }

    @Test
    void theRuleFindsACycleBetweenTwoPackages() {
        // ping.Ping and pong.Pong import each other, so the same rule must report them.
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.mainstay.architecture.fixture");
        ArchRule rule = slices().matching("dev.mainstay.architecture.fixture.(*)..").should().beFreeOfCycles();

        EvaluationResult result = rule.evaluate(fixture);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().toString()).contains("ping", "pong");
    }

    @Test
    void noMainSourceFileOfCoreIsOverSixHundredLines() throws IOException {
        Path sources = Path.of("src", "main", "java");
        assertThat(sources).isDirectory();
        try (Stream<Path> files = Files.walk(sources)) {
            List<String> tooLong = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> lines(f) > MAX_SOURCE_LINES)
                    .map(f -> sources.relativize(f) + " (" + lines(f) + " lines)")
                    .sorted()
                    .toList();
            assertThat(tooLong).as("main source files over %d lines", MAX_SOURCE_LINES).isEmpty();
        }
    }

    private static long lines(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
