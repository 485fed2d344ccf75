package dev.mainstay.limits;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * The names of the counters that spend is kept under. Periods are UTC calendar days and months;
 * a counter's name carries its period, so a new period starts from zero without a reset job.
 */
public final class Scope {
    private Scope() {
    }

    public static String accountCost(String account, Instant at) {
        return "acct/" + account + "/cost/" + YearMonth.from(at.atZone(ZoneOffset.UTC));
    }

    public static String accountTokens(String account, Instant at) {
        return "acct/" + account + "/tokens/" + LocalDate.ofInstant(at, ZoneOffset.UTC);
    }

    public static String workflowCost(String account, String workflow, Instant at) {
        return "acct/" + account + "/wf/" + workflow + "/cost/" + YearMonth.from(at.atZone(ZoneOffset.UTC));
    }

    public static String workflowTokens(String account, String workflow, Instant at) {
        return "acct/" + account + "/wf/" + workflow + "/tokens/" + LocalDate.ofInstant(at, ZoneOffset.UTC);
    }

    public static String jobCost(String jobId) {
        return "job/" + jobId + "/cost";
    }

    /** The start of the next UTC month. */
    public static Instant monthEnd(Instant at) {
        return YearMonth.from(at.atZone(ZoneOffset.UTC)).plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** The start of the next UTC day. */
    public static Instant dayEnd(Instant at) {
        return LocalDate.ofInstant(at, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
