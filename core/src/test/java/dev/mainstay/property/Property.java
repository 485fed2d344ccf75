package dev.mainstay.property;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * A property checked over {@link #tries()} generated cases: a parameterized test whose one
 * parameter is a {@link SeededRandom}, a fresh seed per case. Each case is one test invocation,
 * named by its seed; a failure names the seed and the values the case drew, and
 * {@code -Dmainstay.seed=<seed>} runs that one case again.
 *
 * <pre>{@code
 * @Property(tries = 300)
 * void settlingNeverPassesTheBudget(SeededRandom random) {
 *     long max = random.draw("max", r -> r.longBetween(0, 20_000));
 *     ...
 * }
 * }</pre>
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "[{index}] {0}")
@ArgumentsSource(Seeds.class)
@ExtendWith(SeedReport.class)
public @interface Property {
    /** How many cases to generate; one when {@code mainstay.seed} names a case to run again. */
    int tries() default 1000;
}
