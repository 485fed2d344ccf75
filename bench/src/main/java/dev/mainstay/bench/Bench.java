package dev.mainstay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

/**
 * {@code ./mainstay bench <name>}: runs one benchmark (or all), prints its Markdown table and
 * writes it to {@code bench/results/<name>.md}. Method and targets: docs/benchmarks.md.
 */
public final class Bench {
    static final List<String> NAMES = List.of("queue", "pickup", "inflight", "api", "peers");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        java.util.logging.Logger.getLogger("org.flywaydb").setLevel(java.util.logging.Level.WARNING);
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            usage();
            return;
        }
        String name = args[0];
        Path results = Path.of(System.getProperty("mainstay.bench.results", "bench/results"));
        List<String> run = name.equals("all") ? NAMES : List.of(name);
        if (!NAMES.containsAll(run)) {
            System.err.println("mainstay bench: unknown benchmark '" + name + "' (known: " + String.join(", ", NAMES) + ", all)");
            System.exit(2);
        }
        for (String n : run) {
            String machine = machine(); // before the run: the time and the load it started under
            String body = switch (n) {
                case "queue" -> EngineBenches.queue(Integer.getInteger("mainstay.bench.jobs", 10_000));
                case "pickup" -> EngineBenches.pickup(Integer.getInteger("mainstay.bench.samples", 300));
                case "inflight" -> EngineBenches.inflight(10_000, Integer.getInteger("mainstay.bench.inflight.jobs", 20_000), Duration.ofSeconds(2));
                case "api" -> ApiBench.run(Path.of("."));
                case "peers" -> PeersBench.run(Path.of("."));
                default -> throw new IllegalStateException(n);
            };
            // A run that starts on a quiet machine may end on a busy one: say so beside the figures.
            String page = "# Benchmark: " + n + "\n\n" + machine + loadAverage().map(l -> " Load average " + l + " at the end.").orElse("")
                    + "\n\n" + body;
            System.out.println(page);
            Files.createDirectories(results);
            Files.writeString(results.resolve(n + ".md"), page);
        }
    }

    static void usage() {
        System.out.println("""
                Usage: ./mainstay bench <queue|pickup|inflight|api|peers|all>
                Runs a benchmark, prints its results as a Markdown table and writes them to bench/results/<name>.md.
                  queue     end-to-end jobs/s on each store next to the same-run ceiling, and commits per job
                  pickup    idle-queue pickup latency p50/p99 on each store
                  inflight  10,000 concurrent jobs against a 2 s model: throughput against Little's law, heap, RSS
                  api       HTTP submit throughput and latency with wrk, idle RSS and start-to-ready time
                  peers     graphile-worker and pg-boss on the same PostgreSQL, side by side
                  all       every one of them
                Method, targets and the latest figures: docs/benchmarks.md.""");
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (Exception ignored) {
            // not Linux
        }
        // The machine may be shared: its load when the run started says how far to trust absolute figures.
        String load = loadAverage().map(l -> ", load average " + l + " at the start").orElse("");
        return "Run " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))
                + " on " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java " + Runtime.version()
                + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB" + load + ".";
    }

    /** The 1, 5 and 15 minute load averages, or empty where there is no /proc/loadavg. */
    static Optional<String> loadAverage() {
        try {
            String[] avg = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return Optional.of(avg[0] + " / " + avg[1] + " / " + avg[2] + " (1 / 5 / 15 min)");
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // not Linux
        }
    }
}
