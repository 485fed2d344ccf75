/**
 * The benchmarks behind {@code ./mainstay bench}. It exports nothing: it is run, never used. It
 * starts its nodes with the server tests' fixture ({@code dev.mainstay.server.testing}), which
 * comes from the server's test-jar on the class path; the compiler lets this module read it.
 */
module dev.mainstay.bench {
    requires dev.mainstay.core;
    requires dev.mainstay.store;
    requires dev.mainstay.testkit;
    requires dev.mainstay.server;
    requires java.net.http;
    requires java.sql;
    requires jdk.httpserver;
    requires jdk.management;
}
