/**
 * Test support that runs for real: the fake provider and tool servers over HTTP, fault scripts,
 * the manual clock and throwaway PostgreSQL clusters.
 */
module dev.mainstay.testkit {
    requires transitive dev.mainstay.core;
    requires jdk.httpserver;
    requires info.picocli;

    exports dev.mainstay.testkit;
    // picocli sets the command's annotated fields reflectively.
    opens dev.mainstay.testkit to info.picocli;
}
