package dev.mainstay.property;

import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.TestAbortedException;

/**
 * Puts the seed, the drawn case and the way to run it again in front of a failed case's error:
 * without shrinking, the case as generated is all there is to go on.
 */
final class SeedReport implements InvocationInterceptor {

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext extensionContext) throws Throwable {
        try {
            invocation.proceed();
        } catch (TestAbortedException | OutOfMemoryError e) {
            throw e;
        } catch (Throwable failure) {
            SeededRandom random = invocationContext.getArguments().stream()
                    .filter(SeededRandom.class::isInstance).map(SeededRandom.class::cast).findFirst()
                    .orElseThrow(() -> failure);
            throw new AssertionError(message(invocationContext.getExecutable(), random, failure), failure);
        }
    }

    static String message(Method property, SeededRandom random, Throwable failure) {
        String test = property.getDeclaringClass().getSimpleName() + "#" + property.getName();
        StringBuilder out = new StringBuilder(test).append(" failed on ").append(random).append('\n');
        if (random.drawn().isEmpty()) {
            out.append("  (the case drew nothing by name)\n");
        }
        random.drawn().forEach(line -> out.append("  ").append(line).append('\n'));
        out.append("run this case again with -Dtest=").append(test).append(" -D").append(Seeds.SEED_PARAMETER).append('=')
                .append(SeededRandom.format(random.seed())).append('\n');
        return out.append(failure).toString();
    }
}
