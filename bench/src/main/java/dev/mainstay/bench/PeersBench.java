package dev.mainstay.bench;

import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * graphile-worker and pg-boss (bench/peers, installed by npm) next to Mainstay, each on its own
 * database of the same throwaway PostgreSQL in the same run, doing the same trivial job: N jobs
 * submitted one by one by 64 concurrent callers, completed by a worker that does nothing. Each peer
 * runs with the throughput settings of bench/peers/run.mjs; {@code -Dmainstay.bench.peers.variants}
 * adds other settings to measure beside them, and {@code -Dmainstay.bench.peers.rounds} runs every
 * row that many times, alternating, so that a shared machine's load falls on all rows alike.
 */
final class PeersBench {
    private static final List<String> PEERS = List.of("graphile-worker", "pg-boss");
    private static final Pattern VARIANT = Pattern.compile("(" + String.join("|", PEERS) + ")(\\{.*\\})");

    private PeersBench() {
    }

    /** One row of the table: Mainstay (peer null) or a peer with settings overriding run.mjs's (null: none). */
    private record Row(String peer, String settings, List<Double> rates) {
        double median() {
            double[] sorted = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    static String run(Path root) throws Exception {
        int jobs = Integer.getInteger("mainstay.bench.jobs", 10_000);
        int rounds = Integer.getInteger("mainstay.bench.peers.rounds", 1);
        Path peers = root.resolve("bench/peers").toAbsolutePath();
        if (!Files.isDirectory(peers.resolve("node_modules"))) {
            throw new IllegalStateException("run 'npm install' in bench/peers first (./mainstay bench peers does)");
        }
        List<Row> rows = new ArrayList<>();
        rows.add(new Row(null, null, new ArrayList<>()));
        for (String peer : PEERS) {
            rows.add(new Row(peer, null, new ArrayList<>()));
        }
        for (String variant : variants()) {
            Matcher m = VARIANT.matcher(variant);
            m.matches(); // variants() checked it
            rows.add(new Row(m.group(1), m.group(2), new ArrayList<>()));
        }
        PostgresCluster pg = Stores.postgres();
        List<String> roundLoads = new ArrayList<>(); // on a shared machine, what each round ran under
        for (int round = 1; round <= rounds; round++) {
            Bench.loadAverage().ifPresent(roundLoads::add);
            for (Row row : rows) {
                double rate;
                if (row.peer() == null) {
                    Path dir = Files.createTempDirectory("mainstay-bench-peers");
                    rate = EngineBenches.measureQueue(Stores.POSTGRES, dir, jobs).jobsPerSecond();
                    EngineBenches.deleteTree(dir);
                } else {
                    String db = pg.createDatabase(row.peer().replace('-', '_'));
                    String url = "postgres://" + PostgresCluster.USER + "@" + pg.host() + ":" + pg.port() + "/" + db;
                    rate = node(peers, row.peer(), url, jobs, row.settings());
                    pg.dropDatabase(db);
                }
                row.rates().add(rate);
                System.err.printf(Locale.ROOT, "peers, round %d: %s %s %.0f jobs/s%n", round, row.peer() == null ? "mainstay" : row.peer(),
                        row.settings() == null ? "" : row.settings(), rate);
            }
        }
        double mainstay = rows.getFirst().median();
        double fastest = rows.stream().filter(r -> r.peer() != null).mapToDouble(Row::median).max().orElseThrow();
        Table t = rounds > 1
                ? new Table("queue", "settings", "jobs/s end to end (median)", "each round", "Mainstay / this")
                : new Table("queue", "settings", "jobs/s end to end", "Mainstay / this");
        for (Row row : rows) {
            List<Object> cells = new ArrayList<>();
            cells.add(row.peer() == null ? "Mainstay (engine in process, PostgresStore)" : row.peer() + " " + version(peers, row.peer()));
            cells.add(row.peer() == null ? "one writer, group commit"
                    : row.settings() == null ? "run.mjs (documented throughput settings)" : "run.mjs with `" + row.settings() + "`");
            cells.add(Table.num(row.median()));
            if (rounds > 1) {
                cells.add(String.join(", ", row.rates().stream().map(Table::num).toList()));
            }
            cells.add(String.format(Locale.ROOT, "%.2f×", mainstay / row.median()));
            t.row(cells.toArray());
        }
        return jobs + " jobs per queue after a warm-up, each on a fresh database of one PostgreSQL 15 (fsync on, synchronous_commit on)"
                + (rounds > 1 ? ", every row " + rounds + " times, alternating" : "") + ". "
                + "Mainstay runs the queue benchmark's one-stage workflow with an instant in-process model; the peers run a no-op task "
                + "(bench/peers/run.mjs, Node.js " + nodeVersion(peers) + "). Mainstay / fastest peer: "
                + String.format(Locale.ROOT, "%.2f×", mainstay / fastest) + ".\n\n" + t.markdown()
                + (rounds > 1 && !roundLoads.isEmpty() ? "\nLoad average at the start of each round: " + String.join("; ", roundLoads) + ".\n" : "");
    }

    /** {@code peer{json}} entries separated by {@code ;}, e.g. {@code pg-boss{"batchSize":128};graphile-worker{"submitPoolSize":64}}. */
    private static List<String> variants() {
        String spec = System.getProperty("mainstay.bench.peers.variants", "").strip();
        if (spec.isEmpty()) {
            return List.of();
        }
        List<String> out = Arrays.stream(spec.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (String v : out) {
            if (!VARIANT.matcher(v).matches()) {
                throw new IllegalArgumentException("mainstay.bench.peers.variants: '" + v + "' is not <" + String.join("|", PEERS)
                        + ">{json settings}, e.g. pg-boss{\"batchSize\":128}");
            }
        }
        return out;
    }

    private static double node(Path peers, String peer, String url, int jobs, String settings) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ApiBench.which("node"), "run.mjs", peer, url, Integer.toString(jobs)));
        if (settings != null) {
            cmd.add(settings);
        }
        Process p = new ProcessBuilder(cmd).directory(peers.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(peer + " failed:\n" + out);
        }
        Matcher m = Pattern.compile("\"jobsPerSecond\":([0-9.eE+-]+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException(peer + " printed no result:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String version(Path peers, String peer) {
        try {
            Matcher m = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(peers.resolve("node_modules/" + peer + "/package.json")));
            return m.find() ? m.group(1) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String nodeVersion(Path peers) {
        try {
            Process p = new ProcessBuilder(ApiBench.which("node"), "--version").directory(peers.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? out : "?";
        } catch (java.io.IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
