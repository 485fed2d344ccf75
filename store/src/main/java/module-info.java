/**
 * The two stores: {@code SqliteStore} and {@code PostgresStore}. The JDBC layer they share
 * ({@code dev.mainstay.store.jdbc}) stays inside the module.
 */
module dev.mainstay.store {
    requires transitive dev.mainstay.core;
    requires transitive java.sql;
    requires org.xerial.sqlitejdbc;
    requires org.postgresql.jdbc;
    requires com.zaxxer.hikari;
    requires flyway.core;
    requires org.slf4j;

    exports dev.mainstay.store.sqlite;
    exports dev.mainstay.store.postgres;
}
