/**
 * One Mainstay node: the HTTP API on Helidon SE, the command line and the configuration.
 * {@code dev.mainstay.server} is what starts a node ({@code Main}, {@code MainstayServer},
 * {@code ServerConfig}); the HTTP resources ({@code dev.mainstay.server.http}) stay inside.
 */
module dev.mainstay.server {
    requires dev.mainstay.core;
    requires dev.mainstay.store;
    requires dev.mainstay.providers;
    requires io.helidon.webserver;
    requires io.helidon.webserver.sse;
    requires io.helidon.http.sse;
    requires java.net.http;
    requires io.helidon.http;
    requires io.helidon.common.buffers;
    requires io.helidon.common.concurrency.limits;
    requires io.helidon.common.socket;
    requires io.helidon.common.task;
    requires io.helidon.common.uri;
    requires info.picocli;
    requires com.samskivert.jmustache;
    requires org.slf4j;
    requires tools.jackson.core;
    requires tools.jackson.databind;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires io.opentelemetry.api;
    requires io.opentelemetry.context;
    requires io.opentelemetry.sdk;
    requires io.opentelemetry.sdk.trace;
    requires io.opentelemetry.sdk.autoconfigure;

    exports dev.mainstay.server;
    // The queue benchmark measures the engine with metrics on and off.
    exports dev.mainstay.server.metrics to dev.mainstay.bench;
    exports dev.mainstay.server.tracing to dev.mainstay.bench;
    // picocli sets the commands' annotated fields reflectively.
    opens dev.mainstay.server to info.picocli;
}
