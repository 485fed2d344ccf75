package dev.mainstay.bench;

import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * graphile-worker and pg-boss (bench/peers, installed by npm) next to Mainstay, each on its own
 * database of the same throwaway PostgreSQL in the same run, doing the same trivial job: N jobs
 * submitted one by one by 64 concurrent callers, completed by a worker that does nothing.
 */
final class PeersBench {
    private PeersBench() {
    }

    static String run(Path root) throws Exception {
        int jobs = Integer.getInteger("mainstay.bench.jobs", 10_000);
        Path peers = root.resolve("bench/peers").toAbsolutePath();
        if (!Files.isDirectory(peers.resolve("node_modules"))) {
            throw new IllegalStateException("run 'npm install' in bench/peers first (./mainstay bench peers does)");
        }
        PostgresCluster pg = Stores.postgres();
        Path dir = Files.createTempDirectory("mainstay-bench-peers");
        EngineBenches.QueueRun mainstay = EngineBenches.measureQueue(Stores.POSTGRES, dir, jobs);
        EngineBenches.deleteTree(dir);
        System.err.printf("peers: mainstay %.0f jobs/s%n", mainstay.jobsPerSecond());
        Table t = new Table("queue", "jobs/s end to end", "Mainstay / this");
        t.row("Mainstay (engine in process, PostgresStore)", Table.num(mainstay.jobsPerSecond()), "1.00×");
        double fastest = 0;
        for (String peer : List.of("graphile-worker", "pg-boss")) {
            String db = pg.createDatabase(peer.replace('-', '_'));
            String url = "postgres://" + PostgresCluster.USER + "@" + pg.host() + ":" + pg.port() + "/" + db;
            double rate = node(peers, peer, url, jobs);
            fastest = Math.max(fastest, rate);
            System.err.printf("peers: %s %.0f jobs/s%n", peer, rate);
            t.row(peer + " " + version(peers, peer), Table.num(rate), String.format(java.util.Locale.ROOT, "%.2f×", mainstay.jobsPerSecond() / rate));
        }
        return jobs + " jobs per queue after a warm-up, each on a fresh database of one PostgreSQL 15 (fsync on, synchronous_commit on). "
                + "Mainstay runs the queue benchmark's one-stage workflow with an instant in-process model; the peers run a no-op task "
                + "(bench/peers/run.mjs). Mainstay / fastest peer: " + String.format(java.util.Locale.ROOT, "%.2f×", mainstay.jobsPerSecond() / fastest)
                + ".\n\n" + t.markdown();
    }

    private static double node(Path peers, String peer, String url, int jobs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ApiBench.which("node"), "run.mjs", peer, url, Integer.toString(jobs)));
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
}
