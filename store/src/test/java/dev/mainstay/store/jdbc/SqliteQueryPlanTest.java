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
