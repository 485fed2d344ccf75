package dev.mainstay.evals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A suite of eval cases as its file declares it: the scorers every case is judged by (with their
 * weights and pass marks), the cases, and the quality score a run must reach. Immutable; its
 * {@link #contentHash()} stamps every run with the exact suite it measured.
 */
public final class EvalSuite {
    private final String name;
    private final String description;
    private final String source;
    private final Path file;
    private final String contentHash;
    private final double threshold;
    private final boolean gate;
    private final List<WeightedScorer> scorers;
    private final List<EvalCase> cases;

    EvalSuite(String name, String description, String source, Path file, String contentHash, double threshold, boolean gate, List<WeightedScorer> scorers,
              List<EvalCase> cases) {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be within [0, 1], got " + threshold);
        }
        this.name = name;
        this.description = description;
        this.source = source;
        this.file = file;
        this.contentHash = contentHash;
        this.threshold = threshold;
        this.gate = gate;
        this.scorers = List.copyOf(scorers);
        this.cases = List.copyOf(cases);
    }

    /** Unique among the suites of every workflow directory: runs and cases are filed under it. */
    public String name() { return name; }
    public String description() { return description; }
    /** The file, as messages name it. */
    public String source() { return source; }
    public Path file() { return file; }
    /** SHA-256 of the file's bytes. */
    public String contentHash() { return contentHash; }
    /** The quality score a run must reach to pass. */
    public double threshold() { return threshold; }
    /** Whether the suite may gate (CI, activation): then no case rests on a model-graded scorer alone. */
    public boolean gate() { return gate; }
    /** The scorers every case is judged by. */
    public List<WeightedScorer> scorers() { return scorers; }
    public List<EvalCase> cases() { return cases; }

    public Optional<EvalCase> kase(String id) {
        return cases.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /**
     * The scorers that judge {@code kase}: the suite's, then the case's own. When the case
     * expects no result, the suite's scorers that read one are left out: they could only repeat
     * what its status expectation says.
     */
    public List<WeightedScorer> scorersFor(EvalCase kase) {
        return scorersFor(scorers, kase);
    }

    static List<WeightedScorer> scorersFor(List<WeightedScorer> suiteScorers, EvalCase kase) {
        List<WeightedScorer> out = new ArrayList<>();
        boolean noResult = kase.expectsNoResult();
        for (WeightedScorer s : suiteScorers) {
            if (!(noResult && s.scorer().readsOutput())) {
                out.add(s);
            }
        }
        out.addAll(kase.expect());
        return out;
    }

    /** Judges one observed case with every scorer that is the suite's or the case's. */
    public CaseResult score(EvalCase kase, Observation observed, Subject subject) {
        List<ScorerResult> results = new ArrayList<>();
        for (WeightedScorer s : scorersFor(kase)) {
            Score score = s.scorer().score(new Evidence(kase, observed, subject, s.name()));
            results.add(new ScorerResult(s.name(), s.scorer().kind(), s.weight(), s.pass(), score));
        }
        return new CaseResult(kase.id(), observed, results);
    }

    /** The run's arithmetic against this suite's threshold. */
    public RunSummary summarize(List<CaseResult> results) {
        return RunSummary.of(results, threshold);
    }

    @Override
    public String toString() {
        return "suite " + name + " (" + cases.size() + " case(s), " + source + ")";
    }
}
