package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobStatus;
import dev.mainstay.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hot queries use their indexes: a full scan of the jobs table grows with every job ever run. */
class SqliteQueryPlanTest {
    @TempDir
    Path dir;

    @Test
    void terminalListNamesEveryTerminalStatus() {
        assertThat(Arrays.stream(JdbcJobs.TERMINAL.split(", ")).map(s -> s.replace("'", "")).collect(Collectors.toSet()))
                .isEqualTo(JobStatus.terminal().stream().map(JobStatus::wire).collect(Collectors.toSet()));
    }

    @Test
    void countingUnfinishedJobsUsesThePartialIndex() throws Exception {
        Path file = dir.resolve("mainstay.db");
        SqliteStore.open(file, SqliteStore.Durability.NORMAL).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(plan(c, JdbcJobs.countUnfinishedSql(false))).contains("jobs_unfinished");
            assertThat(plan(c, JdbcJobs.countUnfinishedSql(true))).contains("jobs_unfinished");
        }
    }

    @Test
    void statsReadOnlyIndexedJobs() throws Exception {
        Path file = dir.resolve("mainstay.db");
        SqliteStore.open(file, SqliteStore.Durability.NORMAL).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(plan(c, JdbcStatsFold.DUE)).contains("jobs_unfolded").doesNotContain("SCAN jobs\n");
            assertThat(plan(c, "SELECT j.id FROM jobs j WHERE " + JdbcStats.UNFOLDED)).contains("jobs_unfolded");
            assertThat(plan(c, "SELECT j.id FROM jobs j WHERE " + JdbcStats.UNFOLDED + " AND " + JdbcStats.UNINDEXED_ACCOUNT + " AND " + JdbcStats.UNINDEXED_WORKFLOW))
                    .as("not every job of the account or workflow").contains("jobs_unfolded");
            assertThat(plan(c, "SELECT j.id FROM jobs j WHERE " + JdbcStats.UNFINISHED + " AND j.account_id = ? AND " + JdbcStats.UNINDEXED_WORKFLOW))
                    .contains("jobs_unfinished");
            assertThat(plan(c, "SELECT j.id FROM jobs j WHERE " + JdbcStats.UNFINISHED)).contains("jobs_unfinished");
            assertThat(plan(c, "SELECT j.id FROM jobs j WHERE " + JdbcStats.EDGE)).containsPattern("SEARCH j USING (INDEX|PRIMARY KEY|INTEGER PRIMARY KEY).*id>\\?");
            assertThat(plan(c, "SELECT s.stage_id FROM jobs j CROSS JOIN job_stages s WHERE s.job_id = j.id AND s.status = 'completed' AND " + JdbcStats.UNFOLDED))
                    .contains("SEARCH j USING INDEX jobs_unfolded").contains("SEARCH s USING");
            assertThat(plan(c, "SELECT count(*) AS n FROM jobs WHERE status = 'failed' AND dead_letter")).contains("jobs_dead_letters");
            assertThat(plan(c, "SELECT workflow FROM stats_buckets WHERE account_id = ? AND width_s = ? AND bucket_start >= ? AND bucket_start < ?"))
                    .containsPattern("SEARCH stats_buckets USING (COVERING )?INDEX .*account_id=\\? AND width_s=\\? AND bucket_start>\\?");
        }
    }

    @Test
    void findingInputsNoKeptJobUsesTheInputIndex() throws Exception {
        Path file = dir.resolve("mainstay.db");
        SqliteStore.open(file, SqliteStore.Durability.NORMAL).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            // Once per input of every batch that expires or erases payloads: a scan here held the writer for seconds.
            assertThat(plan(c, "SELECT hash FROM payloads WHERE " + JdbcRetention.unusedPayloads("hash IN (?)")))
                    .contains("jobs_by_input").doesNotContain("SCAN j");
        }
    }

    @Test
    void expiringPayloadsReadsOnlyTheJobsWhosePayloadsAreKept() throws Exception {
        Path file = dir.resolve("mainstay.db");
        SqliteStore.open(file, SqliteStore.Durability.NORMAL).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            // Through jobs_finished every batch stepped over all the jobs earlier batches had expired.
            assertThat(plan(c, JdbcRetention.keptPayloadsSql("1 = 1"))).contains("jobs_payloads_kept");
            assertThat(plan(c, JdbcRetention.keptPayloadsSql("workflow = ?"))).contains("jobs_payloads_kept");
        }
    }

    private static String plan(Connection c, String sql) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            if (sql.contains("?")) {
                ps.setString(1, "acct");
            }
            StringBuilder out = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.append(rs.getString("detail")).append('\n');
                }
            }
            return out.toString();
        }
    }
}
