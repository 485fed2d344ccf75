package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long the console's pages take to render with 100,000 jobs in the store (SQLite): each page
 * fetched 200 times after a warm-up, p50, p95 and max of the whole answer as a client sees it. A
 * measurement, not a check: run it with {@code -Dmainstay.measure.console=true}; it prints its
 * figures.
 *
 * <p>The copies are spread over the last 24 hours with time-ordered ids and a committed stage
 * each, as a day of real jobs would be. The overview and {@code GET /v1/admin/stats} are measured
 * once the stats fold has counted every copy (how long that took is printed too); a page that
 * takes over a second is sampled 5 times rather than 200. With
 * {@code -Dmainstay.measure.console.db=postgresql} the node runs on a throwaway PostgreSQL database
 * instead of its SQLite file.
 */
@EnabledIfSystemProperty(named = "mainstay.measure.console", matches = "true")
class ConsoleRenderMeasurement {
    private static final int JOBS = 100_000;
    private static final int SAMPLES = 200;

    @TempDir
    Path dir;

    @Test
    void pagesWithAHundredThousandJobs() throws Exception {
        boolean postgres = "postgresql".equals(System.getProperty("mainstay.measure.console.db"));
        PostgresCluster pg = postgres ? PostgresCluster.shared() : null;
        String database = postgres ? pg.createDatabase("console_render") : null;
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = postgres
                     ? TestNode.in(dir).provider(fake.baseUrl()).env(Map.of("MAINSTAY_DB_URL", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database,
                             "MAINSTAY_DB_POOL_SIZE", "8")).start()
                     : TestNode.start(dir, fake)) {
            String completed = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"a completed job\"}", "Prefer", "wait=10").json().path("id").asString();
            node.awaitTerminal(completed);
            fake.script(FaultScript.always(Fault.status(500)));
            String failed = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"a failed job\"}").json().path("id").asString();
            node.awaitTerminal(failed);
            Callable<Connection> db;
            if (postgres) {
                db = () -> DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), "");
            } else {
                Path file;
                try (var files = Files.walk(dir)) {
                    file = files.filter(p -> p.toString().endsWith(".db")).findFirst().orElseThrow();
                }
                db = () -> DriverManager.getConnection("jdbc:sqlite:" + file);
            }
            long started = System.nanoTime();
            long now = System.currentTimeMillis();
            copy(db, postgres, completed, "a", JOBS * 9 / 10, now);
            copy(db, postgres, failed, "b", JOBS / 10, now);
            System.out.printf("CONSOLE-RENDER: %d jobs copied in %d ms (%s)%n", JOBS, (System.nanoTime() - started) / 1_000_000, postgres ? "PostgreSQL" : "SQLite");
            long folding = System.nanoTime();
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200)).until(() -> unfolded(db, postgres) == 0);
            System.out.printf("CONSOLE-RENDER: stats fold of the copies done in %d ms%n", (System.nanoTime() - folding) / 1_000_000);
            if (!postgres) {
                // The copy and the fold leave a long write-ahead log that every read walks until the next checkpoint: measure after it, as a node runs.
                try (Connection c = db.call(); Statement s = c.createStatement()) {
                    s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                }
            } else {
                // Planner statistics that know the copies, as autovacuum's analyze gives a database that grew to this
                // over weeks; right after a bulk copy they still describe an empty table.
                try (Connection c = db.call(); Statement s = c.createStatement()) {
                    s.execute("VACUUM ANALYZE");
                }
            }
            String middle = nth(db, JOBS / 3);

            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            URI base = node.server.baseUrl();
            HttpResponse<String> form = client.send(HttpRequest.newBuilder(base.resolve("/console/sign-in")).GET().build(), HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(form.body());
            token.find();
            HttpResponse<String> signIn = client.send(HttpRequest.newBuilder(base.resolve("/console/sign-in")).header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Cookie", form.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0])
                    .POST(HttpRequest.BodyPublishers.ofString("api_key=" + URLEncoder.encode(TestNode.ADMIN_KEY, StandardCharsets.UTF_8) + "&csrf=" + token.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString());
            String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            Map<String, String> pages = new LinkedHashMap<>();
            pages.put("overview", "/console");
            pages.put("overview, 7 days", "/console?window=7d");
            pages.put("admin stats, last 24 h", "/v1/admin/stats");
            pages.put("admin stats, one account", "/v1/admin/stats?account=" + TestNode.DEMO_ACCOUNT);
            pages.put("jobs, first page", "/console/jobs");
            pages.put("jobs of one account", "/console/jobs?account=" + TestNode.DEMO_ACCOUNT);
            pages.put("jobs by idempotency key", "/console/jobs?idempotency_key=bulk-b-77");
            pages.put("jobs by status failed", "/console/jobs?status=failed");
            pages.put("jobs by error code", "/console/jobs?error_code=provider_unavailable");
            pages.put("jobs, a page in the middle", "/console/jobs?cursor=" + middle);
            pages.put("job page", "/console/jobs/" + completed);
            pages.put("dead letters", "/console/dead-letters");
            pages.put("reviews", "/console/reviews");
            pages.put("usage and limits", "/console/usage?account=" + TestNode.DEMO_ACCOUNT);
            pages.put("providers", "/console/providers");
            pages.put("audit", "/console/audit");
            // Again once every code path has run hundreds of times: the first pages above pay for the warm-up of the JIT.
            pages.put("overview, measured last", "/console?window=24h");
            pages.put("admin stats, measured last", "/v1/admin/stats?bucket=hour");
            for (Map.Entry<String, String> page : pages.entrySet()) {
                HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(page.getValue())).GET();
                HttpRequest req = (page.getValue().startsWith("/v1/") ? builder.header("Authorization", "Bearer " + TestNode.ADMIN_KEY) : builder.header("Cookie", cookie))
                        .build();
                long first = System.nanoTime();
                assertThat(client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).as(page.getValue()).isEqualTo(200);
                double firstMs = (System.nanoTime() - first) / 1e6;
                System.out.printf("CONSOLE-RENDER: %-28s first request %6.2f ms%n", page.getKey(), firstMs);
                int samples = firstMs > 1000 ? 5 : SAMPLES;
                for (int i = 0; i < (samples == SAMPLES ? 30 : 0); i++) {
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(page.getValue()).isEqualTo(200);
                }
                long[] ns = new long[samples];
                for (int i = 0; i < samples; i++) {
                    long t = System.nanoTime();
                    client.send(req, HttpResponse.BodyHandlers.ofString());
                    ns[i] = System.nanoTime() - t;
                }
                Arrays.sort(ns);
                System.out.printf("CONSOLE-RENDER: %-28s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms  (%d samples)%n", page.getKey(), ns[samples / 2] / 1e6,
                        ns[samples * 95 / 100] / 1e6, ns[samples - 1] / 1e6, samples);
            }
        } finally {
            if (postgres) {
                pg.dropDatabase(database);
            }
        }
    }

    /**
     * {@code count} copies of job {@code template} (and of its committed stages), submitted evenly
     * over the 24 hours before {@code now}, with time-ordered ids (as {@code JobIds} makes them:
     * ten Crockford base32 digits of milliseconds, then {@code series} and a number) and
     * idempotency keys of their own.
     */
    private static void copy(Callable<Connection> db, boolean postgres, String template, String series, int count, long now) throws Exception {
        try (Connection c = db.call(); Statement s = c.createStatement()) {
            if (!postgres) {
                s.execute("PRAGMA busy_timeout = 30000");
            }
            String millis = "(" + now + " - n.i * (86400000 / " + count + "))";
            String created = postgres ? "to_timestamp(" + millis + " / 1000.0)" : millis;
            StringBuilder base32 = new StringBuilder("''");
            for (int shift = 45; shift >= 0; shift -= 5) {
                base32.append(" || substr('0123456789abcdefghjkmnpqrstvwxyz', ((").append(millis).append(" >> ").append(shift).append(") & 31)").append(postgres ? "::int" : "")
                        .append(" + 1, 1)");
            }
            String id = "'job_' || " + base32 + " || '" + series + "' || " + (postgres ? "lpad(n.i::text, 15, '0')" : "printf('%015d', n.i)");
            String key = "bulk-" + series + "-";
            String numbers = postgres ? "" : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + count + ") ";
            String from = postgres ? " FROM generate_series(1, " + count + ") AS n(i), " : " FROM n, ";
            List<String> jobColumns = columns(c, postgres, "jobs");
            s.executeUpdate(numbers + "INSERT INTO jobs (" + String.join(", ", jobColumns) + ") SELECT " + String.join(", ", jobColumns.stream().map(col -> switch (col) {
                case "id" -> id;
                case "idempotency_key" -> "'" + key + "' || n.i";
                case "created_at" -> created;
                case "started_at", "completed_at", "updated_at", "next_run_at", "deadline_at" -> "(t." + col + " - t.created_at + " + created + ")";
                case "stats_folded" -> "0";
                default -> "t." + col;
            }).toList()) + from + "(SELECT * FROM jobs WHERE id = '" + template + "') t");
            List<String> stageColumns = columns(c, postgres, "job_stages");
            s.executeUpdate(numbers + "INSERT INTO job_stages (" + String.join(", ", stageColumns) + ") SELECT " + String.join(", ", stageColumns.stream()
                    .map(col -> switch (col) {
                        case "job_id" -> id;
                        case "started_at", "completed_at" -> "(st." + col + " - t.created_at + " + created + ")";
                        default -> "st." + col;
                    }).toList()) + from + "(SELECT * FROM jobs WHERE id = '" + template + "') t JOIN job_stages st ON st.job_id = t.id");
            if (postgres) {
                s.execute("ANALYZE");
            }
        }
    }

    private static List<String> columns(Connection c, boolean postgres, String table) throws Exception {
        List<String> columns = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(postgres
                ? "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '" + table + "' AND table_schema = current_schema() ORDER BY ordinal_position"
                : "PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                columns.add(rs.getString("name"));
            }
        }
        return columns;
    }

    /** Finished jobs the stats fold has not counted yet (none where the store has no fold). */
    private static long unfolded(Callable<Connection> db, boolean postgres) throws Exception {
        try (Connection c = db.call(); Statement s = c.createStatement()) {
            if (!columns(c, postgres, "jobs").contains("stats_folded")) {
                return 0;
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM jobs WHERE stats_folded = 0 AND completed_at IS NOT NULL")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The id of the {@code n}th newest job, for a cursor in the middle of the list. */
    private static String nth(Callable<Connection> db, int n) throws Exception {
        try (Connection c = db.call(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM jobs ORDER BY id DESC LIMIT 1 OFFSET " + n)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
