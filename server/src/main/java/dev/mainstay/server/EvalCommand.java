package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.engine.EvalCases;
import dev.mainstay.engine.EvalRuns;
import dev.mainstay.evals.CaseResult;
import dev.mainstay.evals.EvalSuite;
import dev.mainstay.evals.ScorerResult;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.WorkflowActivationStore.ActivationGate;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
import dev.mainstay.workflow.WorkflowDefinition;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./mainstay eval run}: eval runs from the command line, on a node of its own over the data directory or database that {@code up} would open. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Runs eval suites.", subcommands = {EvalCommand.Run.class, EvalCommand.ExportCases.class})
final class EvalCommand extends Main.CommandGroup {

    @Command(name = "export-cases", mixinStandardHelpOptions = true,
            description = {"Prints the cases stored under a suite (taken from jobs and reviews) as JSON Lines, one case a line,",
                    "in the order they were added: lines of a JSON Lines suite, to commit beside the suite file.",
                    "Opens the store the configuration names, as `audit verify` does."})
    static final class ExportCases implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SUITE", description = "the suite whose stored cases to print")
        String suite;

        @CommandLine.Mixin
        DatabaseOptions database;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ServerConfig cfg = database.load();
            PrintWriter out = spec.commandLine().getOut();
            int count = 0;
            try (Store store = MainstayServer.openStore(cfg)) {
                String after = null;
                for (List<StoredEvalCase> page; !(page = store.evalCases(suite, after, EvalCases.MAX_PAGE)).isEmpty(); after = page.getLast().id()) {
                    for (StoredEvalCase k : page) {
                        out.println(Json.MAPPER.writeValueAsString(EvalCases.asSuiteLine(k)));
                        count++;
                    }
                }
            }
            out.flush();
            spec.commandLine().getErr().println(count + " stored case(s) of suite " + suite);
            spec.commandLine().getErr().flush();
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Runs a workflow's eval suites through the engine, every case a job of the eval account, and prints each run's score.",
                    "Opens the data directory (or --db) as `up` does, with the same providers, on a free loopback port; stop a node serving",
                    "the same SQLite data directory first (PostgreSQL may be shared with running nodes).",
                    "Exits 0; with --gate, exits 1 when a gating suite's run misses its threshold, or when the activation gate of a",
                    "workflow's candidate version refuses it (the node gates candidates as `up` does, and the decision is stored)."})
    static final class Run implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "WORKFLOW", description = "the workflow to run (or --all)")
        String workflow;

        @Option(names = "--version", paramLabel = "N", description = "the version to run (default: the one serving)")
        Integer version;

        @Option(names = "--suite", paramLabel = "S", description = "only this suite (default: every suite the version names)")
        String suite;

        @Option(names = "--all", description = "every workflow that names a suite")
        boolean all;

        @Option(names = "--gate", description = "exit 1 when a run of a gating suite (gate: true) misses its threshold, or a candidate's activation gate refuses it")
        boolean gate;

        @Option(names = "--junit", paramLabel = "FILE", description = "also write the cases as JUnit XML, one test per case")
        Path junit;

        @Option(names = "--model-grading", description = "call the judge model of every model-graded scorer (default: such scorers are skipped)")
        boolean modelGrading;

        @Option(names = "--concurrency", paramLabel = "N", description = "cases of one run in flight at once (default: 4)")
        Integer concurrency;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "give up waiting after this long, e.g. 10m (default: 30m)")
        Duration timeout = Duration.ofMinutes(30);

        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (default: $MAINSTAY_CONFIG, else none)")
        Path config;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the SQLite file and the generated keys live (default: var)")
        Path dataDir;

        @Option(names = "--workflows", paramLabel = "DIR", split = ",", description = "directories of workflow YAML files (default: $MAINSTAY_WORKFLOWS, else workflows)")
        List<Path> workflows;

        @Option(names = "--db", paramLabel = "URL", description = "PostgreSQL instead: postgresql://user:password@host:port/database (default: $MAINSTAY_DB_URL)")
        String db;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException, IOException {
            if ((workflow == null) == !all) {
                throw new CommandLine.ParameterException(spec.commandLine(), "name one workflow, or --all");
            }
            if (all && (version != null || suite != null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--version and --suite go with one workflow, not --all");
            }
            int inFlight = concurrency == null ? EvalRuns.DEFAULT_CONCURRENCY : concurrency;
            if (inFlight < 1 || inFlight > EvalRuns.MAX_CONCURRENCY) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--concurrency must be from 1 to " + EvalRuns.MAX_CONCURRENCY + ", got " + inFlight);
            }
            var env = new java.util.HashMap<>(System.getenv());
            env.put("MAINSTAY_PORT", "0");
            env.put("MAINSTAY_HOST", "127.0.0.1");
            if (dataDir != null) env.put("MAINSTAY_DATA_DIR", dataDir.toString());
            if (workflows != null) env.put("MAINSTAY_WORKFLOWS", Main.workflowsEnv(workflows));
            if (db != null) env.put("MAINSTAY_DB_URL", db);
            ServerConfig cfg = ServerConfig.load(Main.configFile(config, env), env);
            PrintWriter out = spec.commandLine().getOut();
            try (MainstayServer node = MainstayServer.start(cfg, Clock.systemUTC(), false)) {
                EvalRuns evals = node.evalRuns();
                // Read before the runs: a gate may decide (and activate its candidate) while they run.
                Map<String, Integer> candidates = new java.util.TreeMap<>();
                for (String name : all ? node.workflows().all().stream().map(WorkflowDefinition::name).toList() : List.of(workflow)) {
                    node.activations().gatedCandidate(name).ifPresent(d -> candidates.put(name, d.version()));
                }
                List<EvalRun> runs = new ArrayList<>();
                if (all) {
                    List<WorkflowDefinition> named = node.workflows().all().stream()
                            .filter(d -> !evals.suites().of(d.name(), d.version()).isEmpty())
                            .sorted(Comparator.comparing(WorkflowDefinition::name)).toList();
                    for (WorkflowDefinition d : named) {
                        runs.addAll(evals.start(d.name(), d.version(), null, inFlight, "cli", modelGrading));
                    }
                } else {
                    runs.addAll(evals.start(workflow, version, suite, inFlight, "cli", modelGrading));
                }
                if (runs.isEmpty()) {
                    throw new ConfigException("no loaded workflow names an eval suite; nothing to run");
                }
                List<EvalRun> done = await(node, runs);
                boolean failed = print(out, evals, done);
                if (gate) {
                    failed |= gates(node, out, candidates);
                }
                if (junit != null) {
                    writeJunit(junit, evals, done);
                    out.println("JUnit XML written to " + junit);
                }
                out.flush();
                return gate && failed ? 1 : 0;
            }
        }

        private List<EvalRun> await(MainstayServer node, List<EvalRun> runs) throws InterruptedException {
            Instant until = Instant.now().plus(timeout);
            while (true) {
                List<EvalRun> now = runs.stream().map(r -> node.store().evalRun(r.id()).orElseThrow()).toList();
                if (now.stream().allMatch(r -> r.status() == EvalRun.Status.COMPLETED)) {
                    return now;
                }
                if (Instant.now().isAfter(until)) {
                    throw new ConfigException("eval runs " + now.stream().filter(r -> r.status() != EvalRun.Status.COMPLETED).map(EvalRun::id).toList()
                            + " did not finish within " + timeout + "; they go on the next time a node opens this database");
                }
                Thread.sleep(200);
            }
        }

        /**
         * Awaits the activation gate of each workflow's candidate, which the node opens by itself
         * (or opened on an earlier start: its decision is on record), and prints each decision;
         * returns whether a candidate was refused or its gate did not decide in time.
         */
        private boolean gates(MainstayServer node, PrintWriter out, Map<String, Integer> candidates) throws InterruptedException {
            boolean failed = false;
            Instant until = Instant.now().plus(timeout);
            for (Map.Entry<String, Integer> candidate : candidates.entrySet()) {
                String name = candidate.getKey();
                int version = candidate.getValue();
                Optional<ActivationGate> decided;
                while ((decided = node.store().activationGate(name, version).filter(g -> g.decision() != null)).isEmpty()) {
                    if (Instant.now().isAfter(until)) {
                        break;
                    }
                    Thread.sleep(200);
                }
                if (decided.isEmpty()) {
                    out.printf("gate  %s v%d: undecided after %s; its runs go on the next time a node opens this database%n", name, version, timeout);
                    failed = true;
                    continue;
                }
                ActivationGate g = decided.get();
                failed |= !g.decision().equals("activated");
                out.printf("gate  %s v%d %s (run %s against v%d, run %s): %s%n", name, version, g.decision(), g.runId(), g.baselineVersion(), g.baselineRunId(),
                        g.detail().path("reason").asString());
            }
            return failed;
        }

        /** Prints the table and each failed case; returns whether a gating suite's run missed its threshold. */
        private static boolean print(PrintWriter out, EvalRuns evals, List<EvalRun> runs) {
            boolean gateFailed = false;
            out.printf("%-28s %7s  %-28s %5s %6s %7s %9s  %s%n", "WORKFLOW", "VERSION", "SUITE", "CASES", "PASSED", "QUALITY", "THRESHOLD", "RESULT");
            for (EvalRun r : runs) {
                boolean gates = evals.suites().suite(r.suite()).map(EvalSuite::gate).orElse(false);
                boolean meets = r.summary().path("meets_threshold").asBoolean();
                gateFailed |= gates && !meets;
                out.printf(Locale.ROOT, "%-28s %7d  %-28s %5d %6d %7.3f %9.2f  %s%n", r.workflow(), r.version(), r.suite(), r.summary().path("cases").asInt(),
                        r.summary().path("passed").asInt(), r.summary().path("quality").asDouble(), r.summary().path("threshold").asDouble(),
                        (meets ? "pass" : "FAIL") + (gates ? "" : " (does not gate)"));
            }
            for (EvalRun r : runs) {
                for (CaseResult c : evals.results(r.id())) {
                    if (c.scored() && !c.passed()) {
                        out.printf("  failed  %s / %s (%s): %s%n", r.suite(), c.caseId(), c.observed().status(),
                                String.join("; ", c.failures().stream().map(f -> f.name() + ": " + f.score().reason()).toList()));
                    }
                }
            }
            out.printf("%d run(s); run ids: %s%n", runs.size(), String.join(" ", runs.stream().map(EvalRun::id).toList()));
            return gateFailed;
        }

        private static void writeJunit(Path file, EvalRuns evals, List<EvalRun> runs) throws IOException {
            StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
            for (EvalRun r : runs) {
                List<CaseResult> results = evals.results(r.id());
                long failures = results.stream().filter(c -> c.scored() && !c.passed()).count();
                long skipped = results.stream().filter(c -> !c.scored()).count();
                x.append("  <testsuite name=\"").append(xml(r.workflow() + " v" + r.version() + " " + r.suite())).append("\" tests=\"").append(results.size())
                        .append("\" failures=\"").append(failures).append("\" skipped=\"").append(skipped).append("\">\n");
                for (CaseResult c : results) {
                    x.append("    <testcase classname=\"").append(xml(r.suite())).append("\" name=\"").append(xml(c.caseId())).append("\" time=\"")
                            .append(String.format(Locale.ROOT, "%.3f", c.observed().latency().toMillis() / 1000.0)).append("\"");
                    if (!c.scored()) {
                        x.append("><skipped message=\"no scorer applied\"/></testcase>\n");
                    } else if (!c.passed()) {
                        String why = String.join("; ", c.failures().stream().map((ScorerResult f) -> f.name() + ": " + f.score().reason()).toList());
                        x.append("><failure message=\"").append(xml(why)).append("\"/></testcase>\n");
                    } else {
                        x.append("/>\n");
                    }
                }
                x.append("  </testsuite>\n");
            }
            x.append("</testsuites>\n");
            Files.writeString(file, x.toString(), StandardCharsets.UTF_8);
        }

        private static String xml(String s) {
            StringBuilder out = new StringBuilder();
            s.codePoints().forEach(cp -> {
                switch (cp) {
                    case '<' -> out.append("&lt;");
                    case '>' -> out.append("&gt;");
                    case '&' -> out.append("&amp;");
                    case '"' -> out.append("&quot;");
                    case '\'' -> out.append("&apos;");
                    default -> {
                        if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') {
                            out.append(' ');
                        } else {
                            out.appendCodePoint(cp);
                        }
                    }
                }
            });
            return out.toString();
        }
    }
}
