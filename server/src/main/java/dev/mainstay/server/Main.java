package dev.mainstay.server;

import dev.mainstay.MainstayException;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code mainstay} command line. The launcher script adds {@code test} and builds when needed. */
@Command(name = "mainstay", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Durable AI workflow jobs: typed HTTP endpoints, retries, idempotency and provenance around every model call.",
        subcommands = {Main.Up.class, Main.Workflows.class, Main.Audit.class, Main.Erase.class, OpenApiCommand.class, EvalCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Also: ./mainstay test            runs every test (Maven; see README.md).",
                "      ./mainstay fake-provider   runs the testkit's fake model server (docs/testkit.md).",
                "      ./mainstay bench           runs a benchmark (docs/benchmarks.md).",
                "Docs: README.md and docs/."})
public final class Main implements Runnable {
    // Held so the settings are not garbage-collected with their loggers.
    private static final java.util.logging.Logger QUIET_FLYWAY = java.util.logging.Logger.getLogger("org.flywaydb");
    private static final java.util.logging.Logger QUIET_HELIDON = java.util.logging.Logger.getLogger("io.helidon");
    private static final java.util.logging.Logger QUIET_HIKARI = java.util.logging.Logger.getLogger("com.zaxxer.hikari");
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tH:%1$tM:%1$tS.%1$tL %4$-7s %3$s: %5$s%6$s%n");
        QUIET_FLYWAY.setLevel(java.util.logging.Level.WARNING);
        QUIET_HELIDON.setLevel(java.util.logging.Level.WARNING);
        QUIET_HIKARI.setLevel(java.util.logging.Level.WARNING);
        int code = commandLine().execute(args);
        if (code != 0 || args.length == 0 || !"up".equals(args[0])) {
            System.exit(code);
        }
    }

    /** The command line with Mainstay's error handling: a refusal prints its message and exits 2, no stack trace. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof MainstayException) {
                        cmd.getErr().println("mainstay: " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }

    /** Directories as {@code MAINSTAY_WORKFLOWS} lists them: joined by the platform's path separator. */
    static String workflowsEnv(List<Path> dirs) {
        return String.join(java.io.File.pathSeparator, dirs.stream().map(Path::toString).toList());
    }

    /** {@code --config} when given, else {@code MAINSTAY_CONFIG}, else none. */
    static Optional<Path> configFile(Path option, java.util.Map<String, String> env) {
        return Optional.ofNullable(option).or(() -> Optional.ofNullable(env.get("MAINSTAY_CONFIG")).filter(s -> !s.isBlank()).map(Path::of));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"Mainstay " + MainstayServer.VERSION + " (Java " + Runtime.version() + ")"};
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Starts a Mainstay node and serves the workflows: on the embedded SQLite store, or with --db on a PostgreSQL "
                    + "database shared by any number of nodes. Stop it with Ctrl-C or SIGTERM (scripts and supervisors: SIGTERM).",
                    "Environment: MAINSTAY_PORT, MAINSTAY_HOST, MAINSTAY_DATA_DIR, MAINSTAY_WORKFLOWS, MAINSTAY_CONFIG, "
                    + "MAINSTAY_DEMO_API_KEY, MAINSTAY_ADMIN_KEY, MAINSTAY_SQLITE_SYNCHRONOUS, "
                    + "MAINSTAY_DB_URL, MAINSTAY_DB_PASSWORD, MAINSTAY_DB_POOL_SIZE, "
                    + "OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_SMALL_MODEL, "
                    + "ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_MODEL."})
    static final class Up implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (default: $MAINSTAY_CONFIG, else none)")
        Path config;

        @Option(names = "--port", description = "port to listen on (default 8080; 0 picks a free one)")
        Integer port;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the SQLite file and the generated keys live (default: var)")
        Path dataDir;

        @Option(names = "--workflows", paramLabel = "DIR", split = ",", description = {"directories of workflow YAML files: repeat the option or separate them with commas",
                "(default: examples/workflows)"})
        List<Path> workflows;

        @Option(names = "--db", paramLabel = "URL", description = {"PostgreSQL to share with other nodes:", "postgresql://user:password@host:port/database",
                "(default: $MAINSTAY_DB_URL, else storage.postgresql.url, else the SQLite file in the data directory)"})
        String db;

        @Option(names = "--dev", description = {"dev mode: edited workflow files and prompts are served as drafts of their version, reloaded when saved "
                + "(docs/workflows.md, Dev mode)"})
        boolean dev;

        @Override
        public Integer call() throws InterruptedException {
            long started = System.nanoTime();
            var env = new java.util.HashMap<>(System.getenv());
            if (port != null) env.put("MAINSTAY_PORT", port.toString());
            if (dataDir != null) env.put("MAINSTAY_DATA_DIR", dataDir.toString());
            if (workflows != null) env.put("MAINSTAY_WORKFLOWS", workflowsEnv(workflows));
            if (db != null) env.put("MAINSTAY_DB_URL", db);
            ServerConfig cfg = ServerConfig.load(configFile(config, env), env);
            MainstayServer server = MainstayServer.start(cfg, Clock.systemUTC(), dev);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("mainstay: stopping; unfinished jobs are handed back to the queue");
                server.stop();
                stopped.countDown();
            }, "mainstay-shutdown"));
            Banner.print(server, java.time.Duration.ofNanos(System.nanoTime() - started), System.out);
            stopped.await();
            return 0;
        }
    }

    /** A command that only holds subcommands: run alone, it prints its usage. */
    abstract static class CommandGroup implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "workflows", mixinStandardHelpOptions = true, description = "Works with workflow definitions.",
            subcommands = {Workflows.Validate.class})
    static final class Workflows extends CommandGroup {
        @Command(name = "validate", mixinStandardHelpOptions = true,
                description = {"Checks workflow files (schemas, prompts and the names they use, routes, tools) without starting a server; "
                        + "exits 2 naming file, line and field. Needs no network: tool hosts are resolved only with --resolve.",
                        "Compares each file with the version on record in the database of the data directory, when there is one, "
                        + "and exits 1 when a file differs from its registered version (./mainstay up refuses it, ./mainstay up --dev serves it as a draft)."})
        static final class Validate implements Callable<Integer> {
            @Parameters(arity = "0..*", paramLabel = "DIR", description = "directories to check (default: the configured ones, else examples/workflows)")
            List<Path> dirs;

            @Option(names = "--config", paramLabel = "FILE", description = "configuration whose routes and tools the workflows may use (default: $MAINSTAY_CONFIG, else none)")
            Path config;

            @Option(names = "--data-dir", paramLabel = "DIR", description = "where the database with the registered versions is (default: var)")
            Path dataDir;

            @Option(names = "--db", paramLabel = "URL", description = "PostgreSQL with the registered versions instead (default: $MAINSTAY_DB_URL)")
            String db;

            @Option(names = "--resolve", description = "also resolve each tool's base_url in DNS and refuse private addresses, as every call does")
            boolean resolve;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                var env = new java.util.HashMap<>(System.getenv());
                if (dirs != null && !dirs.isEmpty()) env.put("MAINSTAY_WORKFLOWS", workflowsEnv(dirs));
                if (dataDir != null) env.put("MAINSTAY_DATA_DIR", dataDir.toString());
                if (db != null) env.put("MAINSTAY_DB_URL", db);
                ServerConfig cfg = ServerConfig.load(configFile(config, env), env);
                WorkflowLoader.Loaded loaded = WorkflowLoader.scan(cfg.workflowDirs(), cfg.routes().keySet());
                List<WorkflowDefinition> all = loaded.definitions();
                dev.mainstay.evals.EvalSuites suites = dev.mainstay.evals.EvalSuites.load(all, cfg.routes().keySet());
                PrintWriter out = spec.commandLine().getOut();
                PrintWriter err = spec.commandLine().getErr();
                loaded.warnings().forEach(w -> err.println("mainstay: warning: " + w));
                err.flush();
                if (resolve) {
                    for (dev.mainstay.tool.ToolSpec tool : cfg.tools().values()) {
                        String refused = dev.mainstay.net.OutboundGuard.refusal(tool.baseUrl(), tool.allowPrivate());
                        if (refused != null) {
                            throw new dev.mainstay.ConfigException("tools." + tool.name() + ".base_url: " + refused);
                        }
                    }
                }
                var routes = new dev.mainstay.provider.Routes(cfg.routes());
                var prices = new dev.mainstay.usage.PriceTable(cfg.prices());
                for (WorkflowDefinition d : all) {
                    out.printf("ok  %-32s v%-3d %-7s %d stage(s)  %s%n", d.name(), d.version(), d.latency().wire(), d.stages().size(), d.source());
                    for (String warning : dev.mainstay.engine.CallEstimate.perJobBudgetWarnings(d, routes, prices)) {
                        out.printf("    warning: %s: %s%n", d.source(), warning);
                    }
                    for (dev.mainstay.evals.EvalSuite suite : suites.of(d.name(), d.version())) {
                        out.printf("    evals %-26s %3d case(s), threshold %s%s  %s%n", suite.name(), suite.cases().size(), suite.threshold(),
                                suite.gate() ? ", gate" : "", suite.source());
                    }
                }
                out.printf("%d workflow(s) valid in %s%n", all.size(), String.join(", ", cfg.workflowDirs().stream().map(Path::toString).toList()));
                if (!suites.all().isEmpty()) {
                    out.printf("%d eval suite(s) valid, %d case(s)%n", suites.all().size(), suites.caseCount());
                }
                int changed = Registered.compare(cfg, all, out);
                out.flush();
                return changed > 0 ? 1 : 0;
            }
        }

        /** What {@code validate} says about the versions on record. */
        static final class Registered {
            private Registered() {
            }

            /** Prints each file that differs from its registered version; returns how many do. */
            static int compare(ServerConfig cfg, List<WorkflowDefinition> all, PrintWriter out) {
                if (cfg.database() instanceof Database.Sqlite sqlite && !java.nio.file.Files.isRegularFile(sqlite.file())) {
                    out.printf("no database at %s: not compared with registered versions (pass --data-dir or --db)%n", sqlite.file());
                    return 0;
                }
                int changed = 0;
                dev.mainstay.store.Store opened;
                try {
                    opened = MainstayServer.openStore(cfg);
                } catch (MainstayException e) {
                    // The files are valid; only the comparison is missing, and a check of files must not need a database.
                    out.printf("registered versions not compared: %s%n", e.getMessage());
                    return 0;
                }
                try (dev.mainstay.store.Store store = opened) {
                    for (WorkflowDefinition d : all) {
                        var stored = store.workflowDefinition(d.name(), d.version());
                        if (stored.isEmpty()) {
                            continue;
                        }
                        // The store keeps the canonical text that the content hash was taken of, byte for byte.
                        String registered = dev.mainstay.ContentHash.sha256(stored.get());
                        if (!registered.equals(d.contentHash())) {
                            changed++;
                            out.printf("changed  %s v%d differs from its registered version (registered %s, file now %s): %s%n"
                                            + "         ./mainstay up refuses it; raise 'version:' to publish the change, or try it as a draft with ./mainstay up --dev%n",
                                    d.name(), d.version(), dev.mainstay.ContentHash.shortForm(registered), dev.mainstay.ContentHash.shortForm(d.contentHash()), d.source());
                        }
                    }
                }
                out.printf(changed == 0 ? "every registered version matches its file (%s)%n" : "%2$d file(s) differ from their registered version (%1$s)%n",
                        switch (cfg.database()) {
                            case Database.Sqlite sqlite -> sqlite.file().toString();
                            case Database.Postgres pg -> pg.config().url();
                        }, changed);
                return changed;
            }
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true, description = "Works with the audit log.",
            subcommands = {Audit.Verify.class})
    static final class Audit extends CommandGroup {
        @Command(name = "verify", mixinStandardHelpOptions = true,
                description = {"Checks the audit log's hash chain from the first record to the last, on the store the configuration names.",
                        "Exits 0 and prints the count and the head hash when every record is intact;",
                        "exits 1 naming the first edited, missing or reordered record otherwise.",
                        "Keep the printed head hash somewhere else: records removed from the end can only be found against it."})
        static final class Verify implements Callable<Integer> {
            @CommandLine.Mixin
            DatabaseOptions database;

            @Option(names = "--expect-head", paramLabel = "HASH", description = "the head hash printed by an earlier verify: also fails when records after it were removed")
            String expectHead;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                ServerConfig cfg = database.load();
                PrintWriter out = spec.commandLine().getOut();
                try (dev.mainstay.store.Store store = MainstayServer.openStore(cfg)) {
                    dev.mainstay.audit.AuditCheck check = store.verifyAudit();
                    switch (check) {
                        case dev.mainstay.audit.AuditCheck.Intact ok -> {
                            if (expectHead != null && !ok.headHash().equals(expectHead) && !containsHash(store, expectHead)) {
                                out.printf("audit log BROKEN: no record has the expected head hash %s; records were removed from the end%n", expectHead);
                                out.flush();
                                return 1;
                            }
                            out.printf("audit log intact: %d record(s)%s, head %s%n", ok.records(),
                                    ok.checkpoint() > 0 ? " from the checkpoint at record " + ok.checkpoint() + " (older records were cut by retention)" : "", ok.headHash());
                            out.flush();
                            return 0;
                        }
                        case dev.mainstay.audit.AuditCheck.Broken broken -> {
                            out.printf("audit log BROKEN at record %d (%s): %s%n", broken.seq(), broken.kind().wire(), broken.problem());
                            out.flush();
                            return 1;
                        }
                    }
                }
            }

            private static boolean containsHash(dev.mainstay.store.Store store, String hash) {
                long after = 0;
                while (true) {
                    var page = store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, null, null, null, null, after, dev.mainstay.audit.AuditQuery.MAX_LIMIT));
                    if (page.isEmpty()) {
                        return false;
                    }
                    if (page.stream().anyMatch(r -> r.hash().equals(hash))) {
                        return true;
                    }
                    after = page.getLast().seq();
                }
            }
        }
    }

    @Command(name = "erase", mixinStandardHelpOptions = true,
            description = {"Erases the payloads of one job, of every job of an account, or of every job whose declared subject has a value,",
                    "on the store the configuration names (stop the node first on SQLite), like POST /v1/admin/erasures.",
                    "Jobs in flight are cancelled first. The same scope erased again is the same erasure (exit 0).",
                    "The erasure is audited and written to the data directory's erasure log (docs/data.md)."})
    static final class Erase implements Callable<Integer> {
        static final class Scope {
            @Option(names = "--job", paramLabel = "ID", description = "one job")
            String job;

            @Option(names = "--account", paramLabel = "ID", description = "every job of this account")
            String account;

            @Option(names = "--subject", paramLabel = "VALUE", description = "every job whose workflow's subject: field has this value (an email, a customer id)")
            String subject;
        }

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--rewrite", description = {"then rewrite the tables that held the erased content, so no byte of it stays in the files:",
                "on PostgreSQL a VACUUM FULL of each, which locks it against reads and writes while it is copied (a maintenance window);",
                "on SQLite a VACUUM, which rebuilds the file from its live rows (bytes that earlier page splits left behind go too)"})
        boolean rewrite;

        @CommandLine.Mixin
        DatabaseOptions database;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ServerConfig cfg = database.load();
            PrintWriter out = spec.commandLine().getOut();
            Clock clock = Clock.systemUTC();
            try (dev.mainstay.store.Store store = MainstayServer.openStore(cfg)) {
                ErasureLog log = ErasureLog.in(cfg.dataDir());
                var erasures = new dev.mainstay.retention.Erasures(store, clock, dev.mainstay.retention.Erasures.storeCanceller(store, clock), log::append);
                dev.mainstay.store.ErasureScope s = scope.job != null ? new dev.mainstay.store.ErasureScope.Job(scope.job.strip())
                        : scope.account != null ? new dev.mainstay.store.ErasureScope.Account(scope.account.strip())
                        : erasures.subject(scope.subject);
                boolean again = erasures.erasure(dev.mainstay.store.Erasure.idOf(s)).isPresent();
                dev.mainstay.store.Erasure e = erasures.erase(s, "cli");
                if (rewrite) {
                    erasures.rewrite();
                }
                out.printf("erasure %s (%s%s): %d job(s), %d row(s), %d character(s) removed, %d job(s) cancelled first%n", e.id(), s.kind(),
                        again ? ", asked before" : "", e.jobs(), e.rows(), e.characters(), e.cancelled());
                out.flush();
                return 0;
            }
        }
    }
}
