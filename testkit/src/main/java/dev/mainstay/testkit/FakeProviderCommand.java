package dev.mainstay.testkit;

import dev.mainstay.MainstayException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code ./mainstay fake-provider}: the testkit's fake model server on the command line, until
 * stopped. The launcher runs it from the testkit's own jar, so that the server ships without the
 * testkit on its class path.
 */
@Command(name = "mainstay fake-provider", mixinStandardHelpOptions = true, versionProvider = FakeProviderCommand.Version.class,
        description = {"Runs the testkit's fake model server (OpenAI Chat Completions and Anthropic Messages) until stopped.",
                "Point a provider at it with base_url http://127.0.0.1:PORT/v1 (kind: openai)",
                "or http://127.0.0.1:PORT (kind: anthropic). Script format: docs/testkit.md."})
public final class FakeProviderCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8090", description = "port on 127.0.0.1 (default ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--script", paramLabel = "FILE", description = "fault script (YAML); without it every request succeeds at once")
    Path script;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        // A run that ends 0 was stopped by its shutdown hook: exiting again from here would wait for it forever.
        if (code != 0) {
            System.exit(code);
        }
    }

    /** The command with Mainstay's error handling: a refusal (a bad script) prints its message and exits 2, no stack trace. */
    static CommandLine commandLine() {
        return new CommandLine(new FakeProviderCommand())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof MainstayException || e instanceof IllegalStateException) {
                        cmd.getErr().println("mainstay: " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }

    @Override
    public Integer call() throws InterruptedException {
        FaultScript s = script == null ? FaultScript.none() : FaultScript.read(script);
        FakeProvider fake = FakeProvider.start(port, s);
        PrintWriter out = spec.commandLine().getOut();
        out.print(banner(fake, s));
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fake.close();
            stopped.countDown();
        }, "fake-provider-stop"));
        stopped.await();
        return 0;
    }

    /** What the command prints once the fake provider listens: its address for either provider kind, and what its script does. */
    static String banner(FakeProvider fake, FaultScript script) {
        return "fake provider listening on " + fake.baseUrl() + " (" + script.describe() + ")\n"
                + "  kind: openai     base_url " + fake.baseUrl() + "\n"
                + "  kind: anthropic  base_url " + fake.anthropicBaseUrl() + "\n";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FakeProviderCommand.class.getPackage().getImplementationVersion();
            return new String[] {"Mainstay testkit " + (v == null ? "0.1.0-dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
