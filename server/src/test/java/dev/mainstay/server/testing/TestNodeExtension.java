package dev.mainstay.server.testing;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import tools.jackson.databind.JsonNode;

/**
 * One node and its fake provider for all the tests of a class. The fake provider runs from the
 * start; before the tests the node starts in a fresh directory, set up by the class, and after them
 * both stop and the directory is deleted. {@link #http} may be kept in a field before the node
 * runs: it finds the node's address when it sends.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.workflow("test/restricted", RESTRICTED));
 *
 * @Test
 * void restrictedNeedsARole() {
 *     node.http.post("/v1/test/restricted", TestNode.DEMO_KEY, "{\"text\": \"hi\"}");
 * }
 * }</pre>
 */
public final class TestNodeExtension implements BeforeAllCallback, AfterAllCallback {
    private final BiConsumer<TestNode.Setup, FakeProvider> setup;
    /** The fake provider every route of the node goes to. */
    public final FakeProvider fake = FakeProvider.start(FaultScript.none());
    /** A client of the node. */
    public final Http http = new Http(() -> node().server.baseUrl());
    private Path dir;
    private TestNode node;

    private TestNodeExtension(BiConsumer<TestNode.Setup, FakeProvider> setup) {
        this.setup = setup;
    }

    /** The default node: the examples and the test workflows, every route on the fake provider. */
    public static TestNodeExtension start() {
        return start(s -> { });
    }

    /** A node set up by {@code setup} (its provider is the fake already). */
    public static TestNodeExtension start(Consumer<TestNode.Setup> setup) {
        return new TestNodeExtension((s, fake) -> setup.accept(s));
    }

    /** A node set up by {@code setup}, which may use the fake provider (to point another provider kind at it, say). */
    public static TestNodeExtension start(BiConsumer<TestNode.Setup, FakeProvider> setup) {
        return new TestNodeExtension(setup);
    }

    /** Gives the fake provider {@code script} instead of answering every request at once. */
    public TestNodeExtension script(FaultScript script) {
        fake.script(script);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("mainstay-" + context.getRequiredTestClass().getSimpleName() + "-");
        TestNode.Setup s = TestNode.in(dir).provider(fake.baseUrl());
        setup.accept(s, fake);
        node = s.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            fake.close();
            delete(dir);
        }
    }

    public TestNode node() {
        if (node == null) {
            throw new IllegalStateException("the node starts before the tests of the class; it is not running now");
        }
        return node;
    }

    public MainstayServer server() {
        return node().server;
    }

    public Path dir() {
        return dir;
    }

    /** Polls the demo account's job until it is terminal (bounded) and returns its envelope. */
    public JsonNode awaitTerminal(String jobId) {
        return node().awaitTerminal(jobId);
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the test directory " + dir, e);
        }
    }
}
