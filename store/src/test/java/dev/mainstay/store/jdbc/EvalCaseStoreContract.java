package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.EvalRunStore;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every dialect guarantees of stored eval cases (unique by suite and name, paged in the order
 * they were added, removed one by one) and of the tallies of
 * finished runs that {@code /metrics} reports.
 */
public abstract class EvalCaseStoreContract {
    protected static final Instant T0 = Instant.parse("2026-12-01T09:00:00Z");

    protected Store store;

    protected abstract Store openStore();

    @BeforeEach
    void open() {
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    protected static StoredEvalCase kase(String id, String suite, String name) {
        return new StoredEvalCase(id, suite, name, "leads/classify", 2, "job_" + id, null, StoredEvalCase.CORRECTION,
                Json.object().put("message", "We want 600 seats, café included ✓"), Json.object().put("segment", "enterprise"), List.of("prod", "bug-17"),
                "key_admin", T0);
    }

    @Test
    void aCaseIsStoredWhole() {
        StoredEvalCase k = new StoredEvalCase("evc_1", "leads", "seats", "leads/classify", 2, "job_9", "rev_4", StoredEvalCase.OUTPUT,
                Json.object().put("message", "We want 600 seats, café included ✓"), Json.object().put("segment", "enterprise"), List.of("prod"), "key_admin", T0);
        assertThat(store.addEvalCase(k)).isTrue();
        assertThat(store.evalCase("leads", "seats")).contains(k);
        assertThat(store.evalCase("leads", "other")).isEmpty();
        assertThat(store.evalCase("other-suite", "seats")).isEmpty();
    }

    @Test
    void aNameIsTakenOncePerSuiteAndTheFirstCaseStays() {
        assertThat(store.addEvalCase(kase("evc_1", "leads", "seats"))).isTrue();
        assertThat(store.addEvalCase(kase("evc_2", "leads", "seats"))).isFalse();
        assertThat(store.addEvalCase(kase("evc_3", "briefs", "seats"))).as("another suite may use the name").isTrue();
        assertThat(store.evalCase("leads", "seats").orElseThrow().id()).isEqualTo("evc_1");
        assertThat(store.evalCases("leads", null, 10)).extracting(StoredEvalCase::id).containsExactly("evc_1");
    }

    @Test
    void casesPageInTheOrderTheyWereAddedAndOnlyTheirSuites() {
        for (int i = 1; i <= 5; i++) {
            store.addEvalCase(kase("evc_0" + i, "leads", "case-" + i));
        }
        store.addEvalCase(kase("evc_00", "briefs", "elsewhere"));
        List<StoredEvalCase> first = store.evalCases("leads", null, 2);
        assertThat(first).extracting(StoredEvalCase::name).containsExactly("case-1", "case-2");
        List<StoredEvalCase> second = store.evalCases("leads", first.getLast().id(), 2);
        assertThat(second).extracting(StoredEvalCase::name).containsExactly("case-3", "case-4");
        assertThat(store.evalCases("leads", second.getLast().id(), 2)).extracting(StoredEvalCase::name).containsExactly("case-5");
        assertThat(store.evalCases("leads", "evc_05", 2)).isEmpty();
        assertThat(store.evalCases("nothing", null, 2)).isEmpty();
    }

    @Test
    void aDeletedCaseIsGoneAndItsNameFreeAgain() {
        store.addEvalCase(kase("evc_1", "leads", "seats"));
        assertThat(store.deleteEvalCase("briefs", "evc_1")).as("only within its suite").isFalse();
        assertThat(store.deleteEvalCase("leads", "evc_1")).isTrue();
        assertThat(store.deleteEvalCase("leads", "evc_1")).isFalse();
        assertThat(store.evalCases("leads", null, 10)).isEmpty();
        assertThat(store.addEvalCase(kase("evc_2", "leads", "seats"))).isTrue();
    }

    @Test
    void talliesCountFinishedRunsAndNameTheLatestOfEachVersionAndSuite() {
        assertThat(store.evalRunTallies()).isEmpty();
        run("evr_1", "leads/classify", 1, "leads", T0.plusSeconds(10), 0.5);
        run("evr_2", "leads/classify", 1, "leads", T0.plusSeconds(30), 0.75);
        run("evr_3", "leads/classify", 1, "leads", T0.plusSeconds(20), 0.25);
        run("evr_4", "leads/classify", 2, "leads", T0.plusSeconds(5), 1.0);
        run("evr_5", "briefs/key-points", 1, "briefs", T0.plusSeconds(5), 0.9);
        run("evr_6", "briefs/key-points", 1, "briefs", T0.plusSeconds(5), 0.8); // same instant: the later id is the latest
        store.createEvalRun(new EvalRun("evr_7", "leads/classify", 1, "leads", "h", "key_admin", 1, EvalRun.Status.RUNNING, T0, null, null), List.of("a"));

        List<EvalRunStore.EvalRunTally> t = store.evalRunTallies();
        assertThat(t).extracting(x -> x.workflow() + " v" + x.version() + " " + x.suite() + " n=" + x.finished() + " latest=" + x.latest().id())
                .containsExactly("briefs/key-points v1 briefs n=2 latest=evr_6", "leads/classify v1 leads n=3 latest=evr_2",
                        "leads/classify v2 leads n=1 latest=evr_4");
        assertThat(t.get(1).latest().summary().path("quality").asDouble()).isEqualTo(0.75);
    }

    private void run(String id, String workflow, int version, String suite, Instant finished, double quality) {
        store.createEvalRun(new EvalRun(id, workflow, version, suite, "h", "key_admin", 1, EvalRun.Status.RUNNING, T0, null, null), List.of("a"));
        assertThat(store.finishEvalRun(id, Json.object().put("quality", quality), finished)).isTrue();
    }
}
