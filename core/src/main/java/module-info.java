/**
 * Mainstay's domain and engine. Every exported package is API for the other modules; the store
 * and provider contracts ({@code dev.mainstay.store}, {@code dev.mainstay.provider}) are the SPI
 * that {@code mainstay-store} and {@code mainstay-providers} implement.
 */
module dev.mainstay.core {
    requires transitive tools.jackson.core;
    requires transitive tools.jackson.databind;
    requires tools.jackson.dataformat.yaml;
    requires com.networknt.schema;
    requires cel;
    requires com.google.common;
    requires java.net.http;
    requires com.samskivert.jmustache;
    requires jtokkit;
    requires com.google.i18n.phonenumbers.libphonenumber;
    requires org.slf4j;

    exports dev.mainstay;
    exports dev.mainstay.access;
    exports dev.mainstay.audit;
    exports dev.mainstay.config;
    exports dev.mainstay.contract;
    exports dev.mainstay.engine;
    exports dev.mainstay.evals;
    exports dev.mainstay.job;
    exports dev.mainstay.limits;
    exports dev.mainstay.metrics;
    exports dev.mainstay.net;
    exports dev.mainstay.provider;
    exports dev.mainstay.redaction;
    exports dev.mainstay.retention;
    exports dev.mainstay.review;
    exports dev.mainstay.routing;
    exports dev.mainstay.stats;
    exports dev.mainstay.store;
    exports dev.mainstay.tool;
    exports dev.mainstay.tracing;
    exports dev.mainstay.usage;
    exports dev.mainstay.webhook;
    exports dev.mainstay.workflow;
}
