/**
 * The model providers: OpenAI-compatible Chat Completions, Anthropic Messages and the built-in
 * demo model, each an implementation of core's {@code Provider}. The HTTP plumbing they share
 * ({@code dev.mainstay.providers.http}) stays inside the module.
 */
module dev.mainstay.providers {
    requires transitive dev.mainstay.core;
    requires java.net.http;
    requires jtokkit;

    exports dev.mainstay.providers.anthropic;
    exports dev.mainstay.providers.demo;
    exports dev.mainstay.providers.openai;
    // Webhook deliveries read answers with the same bounded, scrubbing reader as the providers.
    exports dev.mainstay.providers.http to dev.mainstay.server;
}
