package dev.mainstay.server;

import dev.mainstay.Json;
import dev.mainstay.server.openapi.OpenApiDocument;
import dev.mainstay.workflow.WorkflowLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./mainstay openapi}: prints the OpenAPI document of the configured workflows, all of them, without a server. */
@Command(name = "openapi", mixinStandardHelpOptions = true,
        description = "Prints the OpenAPI 3.1 document of the API with every configured workflow (what GET /v1/openapi.json answers an operator), "
                + "without starting a server.")
final class OpenApiCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "configuration to read the workflow directories from (default: $MAINSTAY_CONFIG, else none)")
    Path config;

    @Option(names = "--server", paramLabel = "URL", description = "the address to name as the document's server, e.g. http://127.0.0.1:8080 (default: none)")
    String server;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var env = new java.util.HashMap<>(System.getenv());
        ServerConfig cfg = ServerConfig.load(Main.configFile(config, env), env);
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(cfg.workflowDirs(), cfg.routes().keySet());
        PrintWriter err = spec.commandLine().getErr();
        loaded.warnings().forEach(w -> err.println("mainstay: warning: " + w));
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(
                OpenApiDocument.build(MainstayServer.VERSION, server, loaded.definitions(), true)));
        out.flush();
        return 0;
    }
}
