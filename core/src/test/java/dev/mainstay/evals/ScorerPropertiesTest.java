package dev.mainstay.evals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.contract.Rule;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Scorers over generated outputs: any JSON a job can hold is judged with a score in [0, 1] and a
 * reason, never an exception; set overlap behaves as set arithmetic says it must.
 */
class ScorerPropertiesTest {
    private static final String ALPHABET = "ab é🚀0 ";
    private static final List<String> FIELDS = List.of("label", "score", "tags", "x");

    private static JsonNode anyJson(SeededRandom r, int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        int kind = r.nextInt(depth <= 0 ? 6 : 8);
        return switch (kind) {
            case 0 -> f.nullNode();
            case 1 -> f.booleanNode(r.nextBoolean());
            case 2 -> f.numberNode(r.longBetween(Long.MIN_VALUE, Long.MAX_VALUE));
            case 3 -> f.numberNode(new BigDecimal(r.longBetween(-1_000_000, 1_000_000)).movePointLeft(r.intBetween(0, 8)));
            case 4 -> f.stringNode(r.anyString(0, 12));
            case 5 -> f.stringNode(r.string(0, 8, ALPHABET));
            case 6 -> {
                ArrayNode a = Json.array();
                r.list(0, 4, x -> anyJson(x, depth - 1)).forEach(a::add);
                yield a;
            }
            default -> {
                ObjectNode o = Json.object();
                for (int i = r.intBetween(0, 4); i > 0; i--) {
                    o.set(r.pick(FIELDS), anyJson(r, depth - 1));
                }
                yield o;
            }
        };
    }

    private static List<Scorer> scorers() {
        OutputPointer label = new OutputPointer("/label");
        OutputPointer tags = new OutputPointer("/tags");
        return List.of(new SchemaValid(), new Equals(label, null, false), new Equals(label, Json.parse("\"a\""), true),
                new OneOf(label, List.of(Json.parse("1"), Json.parse("\"é\"")), false), new Matches(label, Pattern.compile("a+", Pattern.UNICODE_CHARACTER_CLASS), false),
                new Matches(tags, Pattern.compile("^.*$"), true), new Numeric(new OutputPointer("/score"), null, BigDecimal.ONE, null, null),
                new Numeric(new OutputPointer("/score"), null, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.TEN),
                new Contains(OutputPointer.WHOLE, List.of("a", "é"), true, false, false), new Contains(tags, List.of("🚀"), false, false, true),
                new Overlap(tags, null, Overlap.Metric.F1, false, false), new Overlap(tags, List.of(Json.parse("\"a\"")), Overlap.Metric.PRECISION, true, true),
                new CelAssertion(Rule.compile("size(output.tags) > 0")), new StatusIs(List.of("completed")), new ResultTypeIs(List.of(ResultType.FULL)),
                new ErrorCodeIs(List.of("internal")), new LatencyCeiling(Duration.ofSeconds(1)), new CostCeiling(100),
                new ModelGraded("rubric", "judge", 5));
    }

    @Property(tries = 400)
    void anyOutputGetsAScoreWithinBoundsAndAReason(SeededRandom random) {
        JsonNode output = random.draw("output", r -> anyJson(r, 3));
        JsonNode expected = random.draw("expected", r -> r.nextBoolean() ? anyJson(r, 3) : null);
        JsonNode input = random.draw("input", r -> anyJson(r, 2));
        JsonNode verdict = random.draw("verdict", r -> r.nextBoolean() ? anyJson(r, 2) : null);
        EvalCase kase = new EvalCase("c", "", input.isObject() ? input : Json.object(), expected, List.of(), List.of(), "s.yaml:1");
        Observation observed = new Observation("job", "completed", ResultType.FULL, null, output, Duration.ofMillis(random.longBetween(0, 5_000)),
                new Usage(1, 1, random.longBetween(0, 1_000)), verdict == null ? Map.of() : Map.of("model_graded", verdict));
        for (Scorer scorer : scorers()) {
            Score s = scorer.score(new Evidence(kase, observed, Fixtures.SUBJECT, scorer.defaultName()));
            assertThat(s.reason()).as(scorer.defaultName()).isNotBlank();
            if (s instanceof Score.Scored scored) {
                assertThat(scored.value()).as(scorer.defaultName()).isBetween(0.0, 1.0);
            } else {
                assertThat(scorer.needsExpected() && !scorer.appliesTo(kase) || scorer instanceof ModelGraded && verdict == null)
                        .as(scorer.defaultName() + " skipped: " + s.reason()).isTrue();
            }
        }
    }

    private static List<String> items(SeededRandom r) {
        return r.list(0, 6, x -> x.string(1, 2, "abcé"));
    }

    private static Overlap.Counts count(List<String> actual, List<String> expected) {
        return new Overlap(OutputPointer.WHOLE, null, Overlap.Metric.F1, false, false).count(actual, expected);
    }

    @Property(tries = 1000)
    void overlapIsSetArithmetic(SeededRandom random) {
        List<String> actual = random.draw("actual", ScorerPropertiesTest::items);
        List<String> expected = random.draw("expected", ScorerPropertiesTest::items);
        Overlap.Counts c = count(actual, expected);
        Overlap.Counts swapped = count(expected, actual);
        Overlap.Counts again = count(shuffledWithDuplicates(random, actual), shuffledWithDuplicates(random, expected));

        assertThat(List.of(c.precision(), c.recall(), c.f1())).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
        // Swapping the lists swaps precision and recall; F1 is symmetric.
        assertThat(swapped.precision()).isEqualTo(c.recall());
        assertThat(swapped.recall()).isEqualTo(c.precision());
        assertThat(swapped.f1()).isCloseTo(c.f1(), org.assertj.core.data.Offset.offset(1e-12));
        // Order and duplicates do not matter.
        assertThat(again.f1()).isEqualTo(c.f1());
        // F1 is 1 exactly when the sets are equal, and lies between precision and recall.
        assertThat(c.f1() == 1).isEqualTo(new HashSet<>(actual).equals(new HashSet<>(expected)));
        assertThat(c.f1()).isBetween(Math.min(c.precision(), c.recall()) - 1e-12, Math.max(c.precision(), c.recall()) + 1e-12);
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(actual);
        assertThat(new HashSet<>(c.missing())).isEqualTo(missing);
    }

    private static List<String> shuffledWithDuplicates(SeededRandom r, List<String> items) {
        List<String> out = new ArrayList<>(items);
        if (!items.isEmpty()) {
            out.add(r.pick(items));
        }
        Collections.shuffle(out, new java.util.Random(r.nextLong()));
        return out;
    }

    @Property(tries = 500)
    void equalsIsReflexiveAndSymmetricOnAnyJson(SeededRandom random) {
        JsonNode a = random.draw("a", r -> anyJson(r, 3));
        JsonNode b = random.draw("b", r -> r.nextBoolean() ? a.deepCopy() : anyJson(r, 3));
        assertThat(JsonValues.equal(a, a, false)).isTrue();
        assertThat(JsonValues.equal(a, b, false)).isEqualTo(JsonValues.equal(b, a, false));
        assertThat(JsonValues.equal(a, b, true)).isEqualTo(JsonValues.equal(b, a, true));
        if (JsonValues.equal(a, b, false)) {
            assertThat(JsonValues.equal(a, b, true)).isTrue();
        }
    }
}
