package dev.mainstay.providers.demo;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.mainstay.Json;
import dev.mainstay.contract.SchemaSampler;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The built-in demo model, used when no real provider is configured. It answers with a document
 * that satisfies the requested schema, built from the caller's own text: the contents of the
 * {@code <tag>...</tag>} blocks of the prompt (where the workflow puts the input), or the whole
 * prompt when it has none; a field that a rule ties to an input list takes one of its values
 * ({@link SchemaSampler#answer}). Latency is realistic and an occasional simulated overload shows the
 * retry path. Provenance labels it {@code demo}.
 */
public final class DemoProvider implements Provider {
    public static final String NAME = "demo";
    public static final String MODEL = "mainstay-demo-1";
    /**
     * The tokenizer, loaded on first use: building its tables takes most of a second, which start-up
     * does not wait for (a new provider starts loading it in the background).
     */
    private static final class Tokens {
        static final Encoding CL100K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    }

    /**
     * @param minLatency shortest simulated answer time
     * @param maxLatency longest simulated answer time
     * @param faultRate share of calls (0..1) that fail with a simulated 503
     */
    public record Config(Duration minLatency, Duration maxLatency, double faultRate) {
        public static final Config DEFAULT = new Config(Duration.ofMillis(150), Duration.ofMillis(600), 0.05);

        public Config {
            if (faultRate < 0 || faultRate > 1) {
                throw new IllegalArgumentException("faultRate must be within 0..1, got " + faultRate);
            }
            if (maxLatency.compareTo(minLatency) < 0) {
                throw new IllegalArgumentException("maxLatency must not be below minLatency");
            }
        }
    }

    private final Config config;
    private final RandomGenerator random;

    public DemoProvider(Config config, RandomGenerator random) {
        this.config = config;
        this.random = random;
        Thread.ofVirtual().name("mainstay-demo-tokenizer").start(() -> Tokens.CL100K.hashCode());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProviderOutcome call(ModelRequest request) throws InterruptedException {
        long span = config.maxLatency().toMillis() - config.minLatency().toMillis();
        Duration latency = config.minLatency().plusMillis(span <= 0 ? 0 : random.nextLong(span + 1));
        if (latency.compareTo(request.timeout()) > 0) {
            Thread.sleep(request.timeout());
            return new ProviderOutcome.TimedOut(request.timeout(), "the demo model took longer than the stage timeout");
        }
        Thread.sleep(latency);
        if (random.nextDouble() < config.faultRate()) {
            return new ProviderOutcome.Transient(Optional.of(Duration.ofMillis(200)), "HTTP 503: the demo model simulates an overload now and then so the retry path is visible");
        }
        String output = Json.write(SchemaSampler.answer(request.outputSchema(), systemText(request), lastUserMessage(request)));
        long in = request.messages().stream().mapToLong(m -> Tokens.CL100K.countTokens(m.content())).sum();
        return new ProviderOutcome.Success(output, MODEL, in, Tokens.CL100K.countTokens(output), latency);
    }

    /** The original prompt; a repair request's own user message is not the caller's text. */
    private static String lastUserMessage(ModelRequest request) {
        for (Message m : request.messages()) {
            if (m.role() == Message.Role.USER) {
                return m.content();
            }
        }
        return "";
    }

    /** The instructions, where the workflow's rules are listed. */
    private static String systemText(ModelRequest request) {
        StringBuilder out = new StringBuilder();
        for (Message m : request.messages()) {
            if (m.role() == Message.Role.SYSTEM) {
                out.append(m.content()).append('\n');
            }
        }
        return out.toString();
    }
}
