package dev.mainstay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PostgresClusterTest {

    private static boolean accepting(PostgresCluster cluster) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(cluster.host(), cluster.port()), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aClusterServesOnLoopbackUntilClosedAndLeavesNothingBehind() {
        PostgresCluster cluster = PostgresCluster.create();
        Path dir = cluster.logFile().getParent();
        try {
            assertThat(accepting(cluster)).isTrue();
            String a = cluster.createDatabase("app");
            String b = cluster.createDatabase("app");
            assertThat(a).isNotEqualTo(b).startsWith("app_");
            assertThat(cluster.jdbcUrl(a)).isEqualTo("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/" + a);

            cluster.stop();
            assertThat(accepting(cluster)).isFalse();
            cluster.start();
            assertThat(accepting(cluster)).isTrue();
            cluster.restart();
            assertThat(accepting(cluster)).isTrue();
            cluster.dropDatabase(a);
            assertThat(cluster.createDatabase("app")).isEqualTo("app_3");
        } finally {
            cluster.close();
        }
        assertThat(accepting(cluster)).isFalse();
        assertThat(Files.exists(dir)).isFalse();
        assertThatThrownBy(cluster::restart).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theSharedClusterIsOnePerJvm() {
        assertThat(PostgresCluster.shared()).isSameAs(PostgresCluster.shared());
        assertThat(accepting(PostgresCluster.shared())).isTrue();
    }

    @Test
    void aBadDatabaseNameIsRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> PostgresCluster.shared().createDatabase("Robert'); DROP"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PostgresCluster.shared().createDatabase("")).isInstanceOf(IllegalArgumentException.class);
    }
}
