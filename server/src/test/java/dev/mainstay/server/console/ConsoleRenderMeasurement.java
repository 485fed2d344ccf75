package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long the console's pages take to render with 100,000 jobs in the store (SQLite): each page
 * fetched 200 times after a warm-up, p50, p95 and max of the whole answer as a client sees it. A
 * measurement, not a check: run it with {@code -Dmainstay.measure.console=true}; it prints its
 * figures.
 */
@EnabledIfSystemProperty(named = "mainstay.measure.console", matches = "true")
class ConsoleRenderMeasurement {
    private static final int JOBS = 100_000;
    private static final int SAMPLES = 200;

    @TempDir
    Path dir;

    @Test
    void pagesWithAHundredThousandJobs() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); TestNode node = TestNode.start(dir, fake)) {
            String completed = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"a completed job\"}", "Prefer", "wait=10").json().path("id").asString();
            node.awaitTerminal(completed);
            fake.script(FaultScript.always(Fault.status(500)));
            String failed = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"a failed job\"}").json().path("id").asString();
            node.awaitTerminal(failed);
            Path db;
            try (var files = Files.walk(dir)) {
                db = files.filter(p -> p.toString().endsWith(".db")).findFirst().orElseThrow();
            }
            long started = System.nanoTime();
            copy(db, completed, "job_00a", JOBS * 9 / 10);
            copy(db, failed, "job_00b", JOBS / 10);
            System.out.printf("CONSOLE-RENDER: %d jobs copied in %d ms%n", JOBS, (System.nanoTime() - started) / 1_000_000);

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
            pages.put("jobs, first page", "/console/jobs");
            pages.put("jobs of one account", "/console/jobs?account=" + TestNode.DEMO_ACCOUNT);
            pages.put("jobs by idempotency key", "/console/jobs?idempotency_key=bulk-b-77");
            pages.put("jobs by status failed", "/console/jobs?status=failed");
            pages.put("jobs by error code", "/console/jobs?error_code=provider_unavailable");
            pages.put("jobs, a page in the middle", "/console/jobs?cursor=job_00a" + String.format("%024d", JOBS / 3));
            pages.put("job page", "/console/jobs/" + completed);
            pages.put("dead letters", "/console/dead-letters");
            pages.put("reviews", "/console/reviews");
            pages.put("usage and limits", "/console/usage?account=" + TestNode.DEMO_ACCOUNT);
            pages.put("providers", "/console/providers");
            pages.put("audit", "/console/audit");
            for (Map.Entry<String, String> page : pages.entrySet()) {
                HttpRequest req = HttpRequest.newBuilder(base.resolve(page.getValue())).header("Cookie", cookie).GET().build();
                long first = System.nanoTime();
                assertThat(client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).as(page.getValue()).isEqualTo(200);
                System.out.printf("CONSOLE-RENDER: %-28s first request %6.2f ms%n", page.getKey(), (System.nanoTime() - first) / 1e6);
                for (int i = 0; i < 30; i++) {
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(page.getValue()).isEqualTo(200);
                }
                long[] ns = new long[SAMPLES];
                for (int i = 0; i < SAMPLES; i++) {
                    long t = System.nanoTime();
                    client.send(req, HttpResponse.BodyHandlers.ofString());
                    ns[i] = System.nanoTime() - t;
                }
                Arrays.sort(ns);
                System.out.printf("CONSOLE-RENDER: %-28s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms%n", page.getKey(), ns[SAMPLES / 2] / 1e6, ns[SAMPLES * 95 / 100] / 1e6,
                        ns[SAMPLES - 1] / 1e6);
            }
        }
    }

    /** {@code count} copies of job {@code template}, with ids {@code prefix} + a 24-digit number and idempotency keys of their own. */
    private static void copy(Path db, String template, String prefix, int count) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 30000");
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("PRAGMA table_info(jobs)")) {
                while (rs.next()) {
                    columns.add(rs.getString("name"));
                }
            }
            String key = prefix.equals("job_00a") ? "bulk-a-" : "bulk-b-";
            String exprs = String.join(", ", columns.stream().map(col -> switch (col) {
                case "id" -> "'" + prefix + "' || printf('%024d', n.i)";
                case "idempotency_key" -> "'" + key + "' || n.i";
                default -> "t." + col;
            }).toList());
            s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + count + ") INSERT INTO jobs (" + String.join(", ", columns)
                    + ") SELECT " + exprs + " FROM n, (SELECT * FROM jobs WHERE id = '" + template + "') t");
        }
    }
}
