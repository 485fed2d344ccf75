package dev.mainstay.provider;

/**
 * A model provider: one wire protocol to one endpoint. Calls block (they run on virtual threads)
 * and never throw for provider-side trouble: every way a call can end is a {@link ProviderOutcome}.
 */
public interface Provider {
    /** The name routes refer to, e.g. {@code openai}, {@code demo}. */
    String name();

    /**
     * Calls the model. Blocks until the provider answers, fails or the request timeout passes.
     *
     * @throws InterruptedException when the calling job is cancelled or the node shuts down
     */
    ProviderOutcome call(ModelRequest request) throws InterruptedException;
}
