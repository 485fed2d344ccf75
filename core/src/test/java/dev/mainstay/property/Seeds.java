package dev.mainstay.property;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.support.ParameterDeclarations;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The cases of a {@link Property}: {@code tries} fresh seeds, different on every run, or only the
 * seed that {@code mainstay.seed} names (a JUnit configuration parameter, so a system property
 * works) when a failed case is run again.
 */
final class Seeds implements ArgumentsProvider {
    static final String SEED_PARAMETER = "mainstay.seed";

    @Override
    public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        Property property = AnnotationSupport.findAnnotation(method, Property.class).orElseThrow(() -> new IllegalStateException(
                "Seeds gave cases to " + method + ", which has no @Property. Indicates a bug."));
        if (property.tries() < 1) {
            throw new IllegalArgumentException("@Property(tries = " + property.tries() + ") on " + method.getName() + ": tries must be at least 1");
        }
        Optional<String> again = context.getConfigurationParameter(SEED_PARAMETER).filter(s -> !s.isBlank());
        if (again.isPresent()) {
            return Stream.of(Arguments.of(new SeededRandom(SeededRandom.parse(again.get()))));
        }
        SplittableRandom seeds = new SplittableRandom();
        return Stream.generate(() -> Arguments.of(new SeededRandom(seeds.nextLong()))).limit(property.tries());
    }
}
