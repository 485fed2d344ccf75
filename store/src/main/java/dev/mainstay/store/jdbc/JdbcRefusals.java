package dev.mainstay.store.jdbc;

import dev.mainstay.limits.RefusalCount;
import dev.mainstay.store.RefusalStore;
import java.time.LocalDate;
import java.util.List;

/** Admission refusal counts on any dialect: one row per account, day and kind, added to by upserts. */
final class JdbcRefusals implements RefusalStore {
    private final Sql sql;

    JdbcRefusals(Sql sql) {
        this.sql = sql;
    }

    @Override
    public void addRefusals(List<RefusalCount> counts) {
        if (counts.isEmpty()) {
            return;
        }
        List<Object[]> rows = counts.stream().map(c -> new Object[] {c.accountId(), c.day().toString(), c.kind(), c.count()}).toList();
        sql.write(c -> {
            sql.batch(c, "INSERT INTO admission_refusals (account_id, day, kind, refused) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (account_id, day, kind) DO UPDATE SET refused = admission_refusals.refused + excluded.refused", rows);
            return null;
        });
    }

    @Override
    public List<RefusalCount> refusals(String accountId, LocalDate from, LocalDate to) {
        Sql.Row<RefusalCount> row = rs -> new RefusalCount(rs.getString(1), LocalDate.parse(rs.getString(2)), rs.getString(3), rs.getLong(4));
        String select = "SELECT account_id, day, kind, refused FROM admission_refusals WHERE day >= ? AND day <= ?";
        if (accountId == null) {
            return sql.read(c -> sql.list(c, select + " ORDER BY day, account_id, kind", row, from.toString(), to.toString()));
        }
        return sql.read(c -> sql.list(c, select + " AND account_id = ? ORDER BY day, kind", row, from.toString(), to.toString(), accountId));
    }
}
