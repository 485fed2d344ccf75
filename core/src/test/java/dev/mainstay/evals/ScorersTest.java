package dev.mainstay.evals;

import static dev.mainstay.evals.Fixtures.at;
import static dev.mainstay.evals.Fixtures.completed;
import static dev.mainstay.evals.Fixtures.ended;
import static dev.mainstay.evals.Fixtures.json;
import static dev.mainstay.evals.Fixtures.kase;
import static dev.mainstay.evals.Fixtures.score;
import static dev.mainstay.evals.Fixtures.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.contract.Rule;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every scorer on its edge cases: empty lists, Unicode, numbers written as strings, missing fields, jobs without output. */
class ScorersTest {
    private static final String DECOMPOSED_E = "e\u0301"; // e + combining acute accent
    private static final String COMPOSED_E = "\u00e9";

    @Nested
    class SchemaValidScorer {
        @Test
        void anOutputThatSatisfiesTheSchemaScoresOne() {
            assertThat(value(score(new SchemaValid(), "{\"label\": \"a\", \"tags\": []}"))).isEqualTo(1);
        }

        @Test
        void violationsAreNamedByPointer() {
            Score s = score(new SchemaValid(), "{\"label\": 3, \"extra\": true}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).startsWith("2 violation(s) of the output schema of test/fixture v1: ").contains("/label").contains("/extra");
        }

        @Test
        void aFailedJobHasNothingToValidate() {
            Score s = score(new SchemaValid(), kase("{}", null), ended(JobStatus.FAILED, null, "provider_unavailable", null));
            assertThat(value(s)).isZero();
            assertThat(s.reason()).isEqualTo("the job has no output (status failed, provider_unavailable)");
        }

        @Test
        void aWorkflowEndingInAToolCallHasNoSchemaToMeet() {
            Subject toolLast = new Subject("test/tool", 2, Fixtures.INPUT, null);
            Score s = new SchemaValid().score(new Evidence(kase("{}", null), completed("{}"), toolLast, "schema_valid"));
            assertThat(value(s)).isZero();
            assertThat(s.reason()).contains("test/tool v2 declares no output schema");
        }
    }

    @Nested
    class EqualsScorer {
        @Test
        void comparesWithTheExpectedValueAtTheSamePointer() {
            Equals e = new Equals(at("/label"), null, false);
            assertThat(value(score(e, "{\"label\": \"enterprise\"}", "{\"label\": \"enterprise\"}"))).isEqualTo(1);
            Score miss = score(e, "{\"label\": \"enterprise\"}", "{\"label\": \"smb\"}");
            assertThat(value(miss)).isZero();
            assertThat(miss.reason()).isEqualTo("/label is \"smb\", expected \"enterprise\"");
        }

        @Test
        void numbersCompareByValue() {
            assertThat(value(score(new Equals(at("/score"), json("3"), false), "{\"score\": 3.0}"))).isEqualTo(1);
            assertThat(value(score(new Equals(at("/score"), json("1e2"), false), "{\"score\": 100}"))).isEqualTo(1);
        }

        @Test
        void aNumberWrittenAsAStringIsNotTheNumberAndTheReasonSaysSo() {
            Score s = score(new Equals(at("/score"), json("42"), false), "{\"score\": \"42\"}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).contains("(the same number, but written as a string)");
        }

        @Test
        void canonicallyEquivalentUnicodeIsEqualAndCaseCanBeIgnored() {
            assertThat(value(score(new Equals(at("/label"), json("\"caf" + COMPOSED_E + "\""), false), "{\"label\": \"caf" + DECOMPOSED_E + "\"}"))).isEqualTo(1);
            assertThat(value(score(new Equals(at("/label"), json("\"STRASSE\""), false), "{\"label\": \"straße\"}"))).isZero();
            assertThat(value(score(new Equals(at("/label"), json("\"STRASSE\""), true), "{\"label\": \"straße\"}"))).isEqualTo(1);
        }

        @Test
        void aMissingFieldScoresZeroNamingIt() {
            Score s = score(new Equals(at("/label"), json("\"x\""), false), "{\"score\": 1}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).isEqualTo("the output has no value at /label");
        }

        @Test
        void withoutAnExpectedValueItDoesNotApplyAndIsSkipped() {
            Equals e = new Equals(at("/label"), null, false);
            EvalCase none = kase("{}", "{\"other\": 1}");
            assertThat(e.appliesTo(none)).isFalse();
            assertThat(e.needsExpected()).isTrue();
            assertThat(score(e, none, completed("{\"label\": \"x\"}"))).isInstanceOf(Score.Skipped.class);
            assertThat(new Equals(at("/label"), json("\"x\""), false).needsExpected()).isFalse();
        }

        @Test
        void anExpectedNullIsAValueToMatch() {
            Equals e = new Equals(at("/label"), null, false);
            assertThat(e.appliesTo(kase("{}", "{\"label\": null}"))).isTrue();
            assertThat(value(score(e, "{\"label\": null}", "{\"label\": null}"))).isEqualTo(1);
            assertThat(value(score(e, "{\"label\": null}", "{\"label\": \"null\"}"))).isZero();
        }

        @Test
        void objectsAndListsCompareDeeply() {
            Equals e = new Equals(at(""), null, false);
            assertThat(value(score(e, "{\"a\": [1, {\"b\": 2.0}]}", "{\"a\": [1.0, {\"b\": 2}]}"))).isEqualTo(1);
            assertThat(value(score(e, "{\"a\": [1, 2]}", "{\"a\": [2, 1]}"))).isZero();
            assertThat(value(score(e, "{\"a\": 1}", "{\"a\": 1, \"b\": 2}"))).isZero();
        }
    }

    @Nested
    class OneOfScorer {
        @Test
        void passesForAnyListedValue() {
            OneOf o = new OneOf(at("/label"), List.of(json("\"a\""), json("\"b\""), json("2")), false);
            assertThat(value(score(o, "{\"label\": \"b\"}"))).isEqualTo(1);
            assertThat(value(score(o, "{\"label\": 2.0}"))).isEqualTo(1);
            Score miss = score(o, "{\"label\": \"c\"}");
            assertThat(value(miss)).isZero();
            assertThat(miss.reason()).isEqualTo("/label is \"c\", not one of [\"a\",\"b\",2]");
        }

        @Test
        void needsAtLeastOneValue() {
            assertThatThrownBy(() -> new OneOf(at("/label"), List.of(), false)).hasMessageContaining("at least one value");
        }
    }

    @Nested
    class RegexScorer {
        @Test
        void unicodeLettersAreWordCharacters() {
            Matches m = new Matches(at("/label"), Pattern.compile("^\\w+$", Pattern.UNICODE_CHARACTER_CLASS), false);
            assertThat(value(score(m, "{\"label\": \"Gr" + COMPOSED_E + "ve\"}"))).isEqualTo(1);
            // Decomposed input is matched in normal form C, as it was written.
            assertThat(value(score(m, "{\"label\": \"Gr" + DECOMPOSED_E + "ve\"}"))).isEqualTo(1);
        }

        @Test
        void findsAnywhereUnlessFull() {
            assertThat(value(score(new Matches(at("/label"), Pattern.compile("\\d{3}"), false), "{\"label\": \"order 123 late\"}"))).isEqualTo(1);
            assertThat(value(score(new Matches(at("/label"), Pattern.compile("\\d{3}"), true), "{\"label\": \"order 123 late\"}"))).isZero();
        }

        @Test
        void aNumberIsMatchedAsItsText() {
            assertThat(value(score(new Matches(at("/score"), Pattern.compile("^4\\d$"), false), "{\"score\": 42}"))).isEqualTo(1);
        }

        @Test
        void aListScoresTheShareOfItemsThatMatch() {
            Matches m = new Matches(at("/tags"), Pattern.compile("^[a-z]+$"), false);
            Score s = score(m, "{\"tags\": [\"ok\", \"Bad\", \"fine\", \"2\"]}");
            assertThat(value(s)).isEqualTo(0.5);
            assertThat(s.reason()).isEqualTo("2 of 4 items of /tags match /^[a-z]+$/; the first that does not: \"Bad\"");
        }

        @Test
        void anEmptyListMatchesNothing() {
            Score s = score(new Matches(at("/tags"), Pattern.compile("."), false), "{\"tags\": []}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).contains("empty list");
        }

        @Test
        void anObjectOrNullOrNothingIsNotText() {
            Matches m = new Matches(at("/label"), Pattern.compile("."), false);
            assertThat(score(m, "{\"label\": {\"a\": 1}}").reason()).isEqualTo("/label is an object, not text");
            assertThat(score(m, "{\"label\": null}").reason()).isEqualTo("/label is null, not text");
            assertThat(score(m, "{}").reason()).isEqualTo("the output has no value at /label");
        }
    }

    @Nested
    class NumericScorer {
        @Test
        void aNumberWrittenAsAStringCounts() {
            Numeric n = new Numeric(at("/score"), new BigDecimal("42.5"), new BigDecimal("0.5"), null, null);
            assertThat(value(score(n, "{\"score\": \"42.9\"}"))).isEqualTo(1);
            assertThat(value(score(n, "{\"score\": \" 43 \"}"))).isEqualTo(1);
            Score words = score(n, "{\"score\": \"forty-two\"}");
            assertThat(value(words)).isZero();
            assertThat(words.reason()).isEqualTo("/score is \"forty-two\", not a number");
        }

        @Test
        void theToleranceIsExactDecimalArithmetic() {
            Numeric n = new Numeric(at("/score"), new BigDecimal("0.2"), new BigDecimal("0.1"), null, null);
            assertThat(value(score(n, "{\"score\": 0.3}"))).as("0.3 is within 0.1 of 0.2, which doubles get wrong").isEqualTo(1);
            Score off = score(n, "{\"score\": 0.31}");
            assertThat(value(off)).isZero();
            assertThat(off.reason()).isEqualTo("/score is 0.31, expected 0.2 (tolerance 0.1): off by 0.11");
        }

        @Test
        void aRangeMayBeOpenOnOneSide() {
            assertThat(value(score(new Numeric(at("/score"), null, BigDecimal.ZERO, new BigDecimal("0.5"), null), "{\"score\": 0.86}"))).isEqualTo(1);
            Score low = score(new Numeric(at("/score"), null, BigDecimal.ZERO, new BigDecimal("0.5"), new BigDecimal("1")), "{\"score\": 0.2}");
            assertThat(value(low)).isZero();
            assertThat(low.reason()).isEqualTo("/score is 0.2, outside [0.5, 1]");
        }

        @Test
        void comparesWithTheExpectedNumberEvenWrittenAsAString() {
            Numeric n = new Numeric(at("/score"), null, BigDecimal.ONE, null, null);
            assertThat(n.needsExpected()).isTrue();
            assertThat(value(score(n, "{\"score\": \"10\"}", "{\"score\": 10.75}"))).isEqualTo(1);
            assertThat(score(n, "{\"score\": \"ten\"}", "{\"score\": 10}").reason()).isEqualTo("the expected value at /score is \"ten\", not a number");
            assertThat(n.appliesTo(kase("{}", "{}"))).isFalse();
        }

        @Test
        void valueAndBoundsDoNotMix() {
            assertThatThrownBy(() -> new Numeric(at("/score"), BigDecimal.ONE, BigDecimal.ZERO, BigDecimal.ZERO, null)).hasMessageContaining("not both");
            assertThatThrownBy(() -> new Numeric(at("/score"), null, BigDecimal.ZERO, BigDecimal.TEN, BigDecimal.ONE)).hasMessageContaining("above max");
        }
    }

    @Nested
    class ContainsScorer {
        @Test
        void scoresTheShareOfTextsFoundAndNamesTheMissing() {
            Contains c = new Contains(at("/label"), List.of("refund", "invoice"), false, false, false);
            Score s = score(c, "{\"label\": \"We will refund you.\"}");
            assertThat(value(s)).isEqualTo(0.5);
            assertThat(s.reason()).isEqualTo("/label contains 1 of 2 texts; missing \"invoice\"");
            assertThat(value(score(c, "{\"label\": \"Your invoice: a refund.\"}"))).isEqualTo(1);
        }

        @Test
        void anyNeedsOneOfTheTexts() {
            Contains c = new Contains(at("/label"), List.of("refund", "invoice"), false, true, false);
            assertThat(value(score(c, "{\"label\": \"the invoice\"}"))).isEqualTo(1);
            assertThat(value(score(c, "{\"label\": \"nothing\"}"))).isZero();
        }

        @Test
        void withoutAPointerItSearchesEveryStringAndNumberOfTheOutput() {
            Contains c = new Contains(OutputPointer.WHOLE, List.of("1200", "beta"), false, false, false);
            assertThat(value(score(c, "{\"label\": \"x\", \"tags\": [\"in beta\"], \"score\": 1200.0}"))).isEqualTo(1);
        }

        @Test
        void eachTextMustFitInOneStringNotAcrossTwo() {
            Contains c = new Contains(at("/tags"), List.of("ab"), false, false, false);
            assertThat(value(score(c, "{\"tags\": [\"a\", \"b\"]}"))).isZero();
        }

        @Test
        void unicodeIsComparedInNormalFormAndCaseFoldsFully() {
            assertThat(value(score(new Contains(at("/label"), List.of("caf" + DECOMPOSED_E), false, false, false), "{\"label\": \"un caf" + COMPOSED_E + " noir\"}")))
                    .isEqualTo(1);
            assertThat(value(score(new Contains(at("/label"), List.of("STRASSE"), true, false, false), "{\"label\": \"Hauptstraße 5\"}"))).isEqualTo(1);
            assertThat(value(score(new Contains(at("/label"), List.of("🎉 emoji"), false, false, false), "{\"label\": \"a 🎉 emoji here\"}"))).isEqualTo(1);
        }

        @Test
        void notContainsFailsOnTheFirstTextFound() {
            Contains c = new Contains(at("/label"), List.of("[[EMAIL_", "[[PHONE_"), false, false, true);
            assertThat(c.kind()).isEqualTo("not_contains");
            Score s = score(c, "{\"label\": \"write to [[EMAIL_1]]\"}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).isEqualTo("/label contains \"[[EMAIL_\", which it must not");
            assertThat(value(score(c, "{\"label\": \"write to jane@example.com\"}"))).isEqualTo(1);
        }

        @Test
        void anEmptyListOfStringsContainsNothingAndAMissingFieldScoresZero() {
            assertThat(value(score(new Contains(at("/tags"), List.of("a"), false, false, false), "{\"tags\": []}"))).isZero();
            assertThat(value(score(new Contains(at("/tags"), List.of("a"), false, false, true), "{\"tags\": []}"))).isEqualTo(1);
            assertThat(score(new Contains(at("/tags"), List.of("a"), false, false, true), "{}").reason()).isEqualTo("the output has no value at /tags");
        }

        @Test
        void anEmptyTextIsRefused() {
            assertThatThrownBy(() -> new Contains(at("/label"), List.of(""), false, false, false)).hasMessageContaining("none of them empty");
        }
    }

    @Nested
    class OverlapScorer {
        private Overlap f1(String pointer) {
            return new Overlap(at(pointer), null, Overlap.Metric.F1, false, false);
        }

        @Test
        void precisionRecallAndF1() {
            Overlap o = f1("/tags");
            Score s = score(o, "{\"tags\": [\"a\", \"b\", \"c\", \"d\"]}", "{\"tags\": [\"a\", \"b\", \"x\"]}");
            // precision 2/3, recall 2/4, F1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = 4/7
            assertThat(value(s)).isCloseTo(4.0 / 7, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(s.reason()).isEqualTo("f1 0.571 (precision 0.667, recall 0.500); missing \"c\", \"d\"; unexpected \"x\"");
        }

        @Test
        void twoEmptyListsAgreeFully() {
            assertThat(value(score(f1("/tags"), "{\"tags\": []}", "{\"tags\": []}"))).isEqualTo(1);
        }

        @Test
        void emptyOnOneSideScoresZeroF1() {
            Overlap recall = new Overlap(at("/tags"), null, Overlap.Metric.RECALL, false, false);
            Overlap precision = new Overlap(at("/tags"), null, Overlap.Metric.PRECISION, false, false);
            assertThat(value(score(f1("/tags"), "{\"tags\": [\"a\"]}", "{\"tags\": []}"))).isZero();
            assertThat(value(score(precision, "{\"tags\": [\"a\"]}", "{\"tags\": []}"))).as("nothing said, nothing wrong").isEqualTo(1);
            assertThat(value(score(recall, "{\"tags\": [\"a\"]}", "{\"tags\": []}"))).isZero();
            assertThat(value(score(f1("/tags"), "{\"tags\": []}", "{\"tags\": [\"a\"]}"))).isZero();
            assertThat(value(score(recall, "{\"tags\": []}", "{\"tags\": [\"a\"]}"))).as("nothing expected, nothing missing").isEqualTo(1);
        }

        @Test
        void duplicatesCountOnceAndNumbersMeetTheirStrings() {
            assertThat(value(score(f1("/tags"), "{\"tags\": [\"3\", \"a\"]}", "{\"tags\": [3, \"a\", \"a\", 3.0]}"))).isEqualTo(1);
        }

        @Test
        void unicodeAndCase() {
            Overlap folded = new Overlap(at("/tags"), null, Overlap.Metric.F1, true, false);
            assertThat(value(score(folded, "{\"tags\": [\"Caf" + COMPOSED_E + "\", \"ÉTÉ\"]}", "{\"tags\": [\"caf" + DECOMPOSED_E + "\", \"été\"]}"))).isEqualTo(1);
            assertThat(value(score(f1("/tags"), "{\"tags\": [\"ÉTÉ\"]}", "{\"tags\": [\"été\"]}"))).isZero();
        }

        @Test
        void containsMatchesKeyPhrasesInsideLongerItems() {
            Overlap phrases = new Overlap(at("/tags"), List.of(json("\"durable job\""), json("\"restarts\"")), Overlap.Metric.RECALL, true, true);
            Score s = score(phrases, "{\"tags\": [\"Mainstay runs each feature as a Durable Job.\", \"Every result has provenance.\"]}");
            assertThat(value(s)).isEqualTo(0.5);
            assertThat(s.reason()).contains("missing \"restarts\"");
            assertThat(phrases.needsExpected()).isFalse();
        }

        @Test
        void somethingThatIsNotAListScoresZero() {
            assertThat(score(f1("/label"), "{\"label\": [\"a\"]}", "{\"label\": \"a\"}").reason()).isEqualTo("/label is \"a\", not a list");
            assertThat(score(f1("/label"), "{\"label\": \"a\"}", "{\"label\": [\"a\"]}").reason()).isEqualTo("the expected value at /label is \"a\", not a list");
            assertThat(score(f1("/tags"), "{\"tags\": [\"a\"]}", "{}").reason()).isEqualTo("the output has no value at /tags");
        }

        @Test
        void withoutAnExpectedListItIsSkipped() {
            assertThat(f1("/tags").appliesTo(kase("{}", null))).isFalse();
            assertThat(score(f1("/tags"), kase("{}", null), completed("{\"tags\": []}"))).isInstanceOf(Score.Skipped.class);
        }
    }

    @Nested
    class CelScorer {
        @Test
        void holdsOrSaysWhy() {
            CelAssertion c = new CelAssertion(Rule.compile("size(output.tags) <= input.max"));
            assertThat(value(score(c, kase("{\"max\": 2}", null), completed("{\"tags\": [\"a\"]}")))).isEqualTo(1);
            Score broken = score(c, kase("{\"max\": 2}", null), completed("{\"tags\": [\"a\", \"b\", \"c\"]}"));
            assertThat(value(broken)).isZero();
            assertThat(broken.reason()).isEqualTo("rule 'size(output.tags) <= input.max' is false");
        }

        @Test
        void seesTheInputWithTheWorkflowsDefaults() {
            CelAssertion c = new CelAssertion(Rule.compile("input.max == 3"));
            assertThat(value(score(c, kase("{}", null), completed("{}")))).isEqualTo(1);
        }

        @Test
        void aMissingFieldIsAnEvaluationErrorScoredZero() {
            Score s = score(new CelAssertion(Rule.compile("output.nope == 1")), "{\"label\": \"x\"}");
            assertThat(value(s)).isZero();
            assertThat(s.reason()).startsWith("rule 'output.nope == 1' could not be evaluated: ");
        }

        @Test
        void aJobWithoutOutputIsNullToTheExpression() {
            CelAssertion c = new CelAssertion(Rule.compile("output == null"));
            assertThat(value(score(c, kase("{}", null), ended(JobStatus.WAITING_FOR_REVIEW, null, null, null)))).isEqualTo(1);
        }
    }

    @Nested
    class HowTheJobEnded {
        @Test
        void statusNamesWhatItGotAndWanted() {
            StatusIs review = new StatusIs(List.of("waiting_for_review"));
            assertThat(value(score(review, kase("{}", null), ended(JobStatus.WAITING_FOR_REVIEW, null, null, null)))).isEqualTo(1);
            Score s = score(review, kase("{}", null), completed("{}"));
            assertThat(value(s)).isZero();
            assertThat(s.reason()).isEqualTo("ended completed; expected waiting_for_review");
            assertThat(review.readsOutput()).isFalse();
        }

        @Test
        void aRefusedSubmissionIsTheStateRejected() {
            Observation refused = Observation.rejected("invalid_input", Duration.ofMillis(3));
            assertThat(value(score(new StatusIs(List.of("rejected")), kase("{}", null), refused))).isEqualTo(1);
            assertThat(value(score(new ErrorCodeIs(List.of("invalid_input", "payload_too_large")), kase("{}", null), refused))).isEqualTo(1);
            Score s = score(new StatusIs(List.of("completed", "degraded")), kase("{}", null), refused);
            assertThat(s.reason()).isEqualTo("ended rejected (invalid_input); expected one of completed, degraded");
        }

        @Test
        void unknownStatesAndCodesAreRefused() {
            assertThatThrownBy(() -> new StatusIs(List.of("queued"))).hasMessageContaining("'queued' is not a state an eval case can end in");
            assertThatThrownBy(() -> new ErrorCodeIs(List.of("oops"))).hasMessageContaining("'oops' is not an error code");
        }

        @Test
        void resultTypeOfAJobWithoutResult() {
            ResultTypeIs full = new ResultTypeIs(List.of(ResultType.FULL));
            assertThat(value(score(full, "{}"))).isEqualTo(1);
            Score s = score(full, kase("{}", null), ended(JobStatus.FAILED, null, "deadline_exceeded", null));
            assertThat(s.reason()).isEqualTo("the job holds no result (status failed); expected full");
            assertThat(score(full, kase("{}", null), ended(JobStatus.DEGRADED, ResultType.FALLBACK, null, "{}")).reason())
                    .isEqualTo("result_type fallback; expected full");
        }

        @Test
        void errorCodeOfAJobThatDidNotFail() {
            assertThat(score(new ErrorCodeIs(List.of("invalid_input")), "{}").reason()).isEqualTo("no error (status completed); expected invalid_input");
        }

        @Test
        void latencyAndCostCeilingsIncludeTheirBound() {
            Observation o = new Observation("job_1", "completed", ResultType.FULL, null, json("{}"), Duration.ofMillis(500), new Usage(1, 1, 1_000), Map.of());
            assertThat(value(score(new LatencyCeiling(Duration.ofMillis(500)), kase("{}", null), o))).isEqualTo(1);
            assertThat(score(new LatencyCeiling(Duration.ofMillis(499)), kase("{}", null), o).reason()).isEqualTo("took 500 ms, over the ceiling of 499 ms");
            assertThat(value(score(new CostCeiling(1_000), kase("{}", null), o))).isEqualTo(1);
            assertThat(score(new CostCeiling(999), kase("{}", null), o).reason()).isEqualTo("cost $0.001000, over the ceiling of $0.000999");
        }
    }

    @Nested
    class ModelGradedScorer {
        private final ModelGraded judge = new ModelGraded("The reply answers the question politely.", "judge", 5);

        @Test
        void withoutAVerdictItIsSkipped() {
            Score s = score(judge, "{}");
            assertThat(s).isInstanceOf(Score.Skipped.class);
            assertThat(s.reason()).isEqualTo("not judged: model grading is off for this run");
        }

        @Test
        void aVerdictScoresOnTheScale() {
            Observation judged = completed("{\"label\": \"x\"}").withVerdicts(Map.of("model_graded", json("{\"score\": 4, \"reason\": \"Polite, misses one point.\"}")));
            Score s = score(judge, kase("{}", null), judged);
            assertThat(value(s)).isEqualTo(0.75);
            assertThat(s.reason()).isEqualTo("judged 4/5: Polite, misses one point.");
            Observation top = completed("{}").withVerdicts(Map.of("model_graded", json("{\"score\": 5, \"reason\": \"ok\"}")));
            assertThat(value(score(judge, kase("{}", null), top))).isEqualTo(1);
            Observation bottom = completed("{}").withVerdicts(Map.of("model_graded", json("{\"score\": 1, \"reason\": \"no\"}")));
            assertThat(value(score(judge, kase("{}", null), bottom))).isZero();
        }

        @Test
        void aVerdictThatBreaksItsSchemaScoresZero() {
            for (String bad : List.of("{\"score\": 6, \"reason\": \"x\"}", "{\"score\": 3}", "{\"score\": 2.5, \"reason\": \"x\"}", "\"great\"",
                    "{\"score\": 3, \"reason\": \"\", \"extra\": 1}")) {
                Observation judged = completed("{}").withVerdicts(Map.of("model_graded", json(bad)));
                Score s = score(judge, kase("{}", null), judged);
                assertThat(value(s)).as(bad).isZero();
                assertThat(s.reason()).as(bad).startsWith("the judge's verdict breaks its schema: ");
            }
        }

        @Test
        void noVerdictScoresZeroWithTheReasonThereIsNone() {
            Observation judged = completed("{}").withVerdicts(Map.of("model_graded",
                    ModelGraded.noVerdict("judge job job_1 ended failed (invalid_model_output: out of range)")));
            Score s = score(judge, kase("{}", null), judged);
            assertThat(value(s)).isZero();
            assertThat(s.reason()).isEqualTo("no verdict: judge job job_1 ended failed (invalid_model_output: out of range)");
            Observation withMore = completed("{}").withVerdicts(Map.of("model_graded", json("{\"no_verdict\": \"x\", \"score\": 5}")));
            assertThat(score(judge, kase("{}", null), withMore).reason()).startsWith("the judge's verdict breaks its schema: ");
        }

        @Test
        void theVerdictSchemaAndTheJudgesInput() {
            assertThat(judge.verdictSchema().node().toString())
                    .isEqualTo("{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"score\",\"reason\"],\"properties\":{\"score\":{\"type\":\"integer\","
                            + "\"minimum\":1,\"maximum\":5},\"reason\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":2000}}}");
            assertThat(judge.judgeInput(kase("{\"text\": \"hi\"}", "{\"label\": \"a\"}"), completed("{\"label\": \"b\"}")).toString())
                    .isEqualTo("{\"rubric\":\"The reply answers the question politely.\",\"scale\":5,\"input\":{\"text\":\"hi\"},\"output\":{\"label\":\"b\"},"
                            + "\"expected\":{\"label\":\"a\"}}");
            assertThat(judge.instructions()).contains("from 1 (fails the rubric) to 5").endsWith("The reply answers the question politely.");
        }

        @Test
        void itsConfigurationIsChecked() {
            assertThatThrownBy(() -> new ModelGraded(" ", "judge", 5)).hasMessageContaining("rubric");
            assertThatThrownBy(() -> new ModelGraded("r", "judge", 1)).hasMessageContaining("scale must be from 2 to 10");
        }
    }
}
