package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a retention sweep over 100,000 expired jobs, and an erasure by subject over 10,000 jobs, do
 * to submit latency: a node (SQLite or PostgreSQL) with the jobs seeded, submits over HTTP at a
 * steady rate (open loop: each request sent on its schedule, whatever the others do), first with
 * nothing else going on, then while the sweep or erasure runs, then again without, back to back in
 * one run. Prints p50, p99 and max of each phase, the ratio of the p99s and the load average. A
 * measurement, not a check: run it with {@code -Dmainstay.measure.lifecycle=true}.
 */
@EnabledIfSystemProperty(named = "mainstay.measure.lifecycle", matches = "true")
class DataLifecycleMeasurement {
    private static final int SWEPT = Integer.getInteger("mainstay.measure.lifecycle.swept", 100_000);
    private static final int ERASED = Integer.getInteger("mainstay.measure.lifecycle.erased", 10_000);
    private static final int RATE = Integer.getInteger("mainstay.measure.lifecycle.rate", 50);
    private static final Duration BASELINE = Duration.ofSeconds(Integer.getInteger("mainstay.measure.lifecycle.baseline", 20));
    private static final String EMAIL = "measured.subject@example.com";
    private static final String SUPPORT = """
            workflow: test/support
            version: 1
            latency: async
            deadline: 10m
            subject: /customer/email
            input:
              type: object
              required: [text, customer]
              properties:
                text: { type: string, minLength: 1 }
                customer:
                  type: object
                  properties:
                    email: { type: string }
            stages:
              - id: echo
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                  timeout: 60s
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                retry: { attempts: 1 }
            """;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void submitLatencyDuringASweepOfExpiredJobs(String dialect) throws Exception {
        TestNode node = start(dialect);
        String template = finished(node, "someone@example.com");
        long t = System.nanoTime();
        seed(dialect, template, "job_swept", SWEPT, false);
        System.out.printf("LIFECYCLE %s: %,d expired jobs seeded in %,d ms%n", dialect, SWEPT, (System.nanoTime() - t) / 1_000_000);
        measure(dialect, "sweep of " + SWEPT + " expired jobs", node, () -> post(node, "/v1/admin/retention/sweep", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void submitLatencyDuringAnErasureBySubject(String dialect) throws Exception {
        TestNode node = start(dialect);
        String template = finished(node, EMAIL);
        long t = System.nanoTime();
        seed(dialect, template, "job_erased", ERASED - 1, true);
        System.out.printf("LIFECYCLE %s: %,d jobs of one subject seeded in %,d ms%n", dialect, ERASED, (System.nanoTime() - t) / 1_000_000);
        measure(dialect, "erasure of " + ERASED + " jobs by subject", node, () -> post(node, "/v1/admin/erasures", "{\"subject\": \"" + EMAIL + "\"}"));
    }

    private String database;
    private PostgresCluster pg;

    private TestNode start(String dialect) throws Exception {
        FakeProvider fake = FakeProvider.start(FaultScript.none());
        open.add(fake);
        // Payloads expire a second after a job finished; the node sweeps only when asked to.
        TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT)
                .section("retention:\n  payloads: 1s\n  sweep_every: 1h\n");
        if (dialect.equals("postgresql")) {
            pg = PostgresCluster.shared();
            database = pg.createDatabase("lifecycle");
            open.add(() -> pg.dropDatabase(database));
            setup.env("MAINSTAY_DB_URL", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database);
        }
        TestNode node = setup.start();
        open.add(node);
        return node;
    }

    private Connection connect(String dialect) throws Exception {
        return dialect.equals("postgresql") ? DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), "")
                : DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("var/mainstay.db"));
    }

    private static String finished(TestNode node, String email) {
        String id = node.http.post("/v1/test/support", TestNode.DEMO_KEY, body(email, "the template")).json().path("id").asString();
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        return id;
    }

    private static String body(String email, String text) {
        return "{\"text\": \"A question about an order, " + text + ", from " + email + ".\", \"customer\": {\"email\": \"" + email + "\"}}";
    }

    /**
     * {@code count} copies of the finished job {@code template}: each with an input of its own (a
     * payload row), its stage and, when {@code subject}, its subject index row.
     */
    private void seed(String dialect, String template, String prefix, int count, boolean subject) throws Exception {
        String numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + count + ") ";
        try (Connection c = connect(dialect); Statement s = c.createStatement()) {
            if (dialect.equals("sqlite")) {
                s.execute("PRAGMA busy_timeout = 60000");
            }
            String hash;
            try (ResultSet rs = s.executeQuery("SELECT input_hash FROM jobs WHERE id = '" + template + "'")) {
                assertThat(rs.next()).isTrue();
                hash = rs.getString(1);
            }
            s.executeUpdate(numbers + "INSERT INTO payloads (hash, body) SELECT '" + prefix + "' || n.i, REPLACE(p.body, 'the template', 'copy ' || n.i) FROM n, payloads p "
                    + "WHERE p.hash = '" + hash + "'");
            s.executeUpdate(numbers + copy(s, "jobs", "id", prefix, "id = '" + template + "'", "input_hash", "'" + prefix + "' || n.i", "idempotency_key", "NULL",
                    // counted in the stats buckets long ago, as in a database that grew to this over weeks
                    "stats_folded", "1"));
            s.executeUpdate(numbers + copy(s, "job_stages", "job_id", prefix, "job_id = '" + template + "'"));
            if (subject) {
                s.executeUpdate(numbers + copy(s, "job_subjects", "job_id", prefix, "job_id = '" + template + "'"));
            }
            // Settled, as a database that grew to this over weeks would be: the log copied into the
            // file (SQLite), planner statistics that know the rows (PostgreSQL).
            if (dialect.equals("sqlite")) {
                s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            } else {
                s.execute("VACUUM ANALYZE");
                s.execute("CHECKPOINT");
            }
        }
    }

    /** An {@code INSERT … SELECT} copying the rows of {@code table} that {@code where} picks once per {@code n.i}, with {@code key} made unique and the other columns replaced as given. */
    private static String copy(Statement s, String table, String key, String prefix, String where, String... replaced) throws Exception {
        List<String> columns = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                columns.add(md.getColumnName(i));
            }
        }
        List<String> exprs = new ArrayList<>();
        for (String col : columns) {
            String expr = col.equals(key) ? "'" + prefix + "' || n.i" : "t." + col;
            for (int i = 0; i < replaced.length; i += 2) {
                if (replaced[i].equals(col)) {
                    expr = replaced[i + 1];
                }
            }
            exprs.add(expr);
        }
        return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") SELECT " + String.join(", ", exprs) + " FROM n, (SELECT * FROM " + table
                + " WHERE " + where + ") t";
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();

    private static String post(TestNode node, String path, String json) {
        try {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(node.server.baseUrl().resolve(path)).timeout(Duration.ofMinutes(30))
                    .header("Authorization", "Bearer " + TestNode.ADMIN_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
            return r.body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One submit's latency in ns, and when it was sent (ns since the run began). */
    private record Sample(long sentAt, long latency) {
    }

    /**
     * Submits at {@link #RATE} per second throughout: a warm-up, {@link #BASELINE} without
     * {@code work}, then while {@code work} runs, then {@link #BASELINE} again; prints each phase.
     */
    private void measure(String dialect, String what, TestNode node, Supplier<String> work) throws Exception {
        String load = Files.readString(Path.of("/proc/loadavg")).strip();
        URI submit = node.server.baseUrl().resolve("/v1/test/support");
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        long origin = System.nanoTime();
        long interval = 1_000_000_000L / RATE;
        var running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread generator = Thread.ofPlatform().name("lifecycle-load").start(() -> {
            try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
                long next = System.nanoTime();
                for (int i = 0; running.get(); i++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    int n = i;
                    long sent = System.nanoTime();
                    senders.submit(() -> {
                        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(submit).header("Authorization", "Bearer " + TestNode.DEMO_KEY)
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body("load" + n + "@example.com", "load " + n)))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 202) {
                            samples.add(new Sample(sent - origin, System.nanoTime() - sent));
                        }
                        return null;
                    });
                    next += interval;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            Thread.sleep(Duration.ofSeconds(5));
            long baseFrom = System.nanoTime() - origin;
            Thread.sleep(BASELINE);
            long workFrom = System.nanoTime() - origin;
            String answer = work.get();
            long workTo = System.nanoTime() - origin;
            Thread.sleep(BASELINE);
            long afterTo = System.nanoTime() - origin;
            running.set(false);
            generator.join();
            String loadAfter = Files.readString(Path.of("/proc/loadavg")).strip();
            List<Long> before = between(samples, baseFrom, workFrom);
            List<Long> during = between(samples, workFrom, workTo);
            List<Long> after = between(samples, workTo, afterTo);
            System.out.printf("LIFECYCLE %s: %s took %,d ms at %d submits/s; answer %s%n", dialect, what, (workTo - workFrom) / 1_000_000, RATE,
                    answer.length() > 400 ? answer.substring(0, 400) + "…" : answer);
            print(dialect, "without (before)", before);
            print(dialect, "during " + what, during);
            print(dialect, "without (after)", after);
            System.out.printf("LIFECYCLE %s: p99 during / p99 before = %.2f; p99 during / p99 after = %.2f; load average before %s, after %s%n", dialect,
                    (double) pct(during, 99) / pct(before, 99), (double) pct(during, 99) / pct(after, 99), load, loadAfter);
        } finally {
            running.set(false);
            generator.join();
        }
    }

    private static List<Long> between(ConcurrentLinkedQueue<Sample> samples, long from, long to) {
        List<Long> out = new ArrayList<>();
        for (Sample s : samples) {
            if (s.sentAt() >= from && s.sentAt() < to) {
                out.add(s.latency());
            }
        }
        Collections.sort(out);
        return out;
    }

    private static long pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p / 100.0) - 1));
    }

    private static void print(String dialect, String phase, List<Long> sorted) {
        System.out.printf("LIFECYCLE %s: %-40s %5d submits  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms%n", dialect, phase, sorted.size(), pct(sorted, 50) / 1e6,
                pct(sorted, 99) / 1e6, sorted.isEmpty() ? 0 : sorted.getLast() / 1e6);
    }
}
