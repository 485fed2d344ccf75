package dev.mainstay.provider;

import dev.mainstay.redaction.ProviderDataPolicy;

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

    /**
     * Which categories of sensitive value this provider may receive in the clear; the engine
     * tokenizes the others before every call, whatever the workflow allows. Unrestricted unless
     * configured ({@code providers.<name>.data_policy}).
     */
    default ProviderDataPolicy dataPolicy() {
        return ProviderDataPolicy.UNRESTRICTED;
    }

    /** {@code provider} with {@code policy} as its data policy; every call goes to {@code provider}. */
    static Provider withDataPolicy(Provider provider, ProviderDataPolicy policy) {
        return new Provider() {
            @Override
            public String name() {
                return provider.name();
            }

            @Override
            public ProviderOutcome call(ModelRequest request) throws InterruptedException {
                return provider.call(request);
            }

            @Override
            public ProviderDataPolicy dataPolicy() {
                return policy;
            }

            @Override
            public String toString() {
                return provider + " " + policy;
            }
        };
    }
}
