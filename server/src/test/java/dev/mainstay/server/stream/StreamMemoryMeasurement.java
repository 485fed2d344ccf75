package dev.mainstay.server.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures what 1,000 open event streams cost a node (a process of its own): its heap after a full
 * collection and its resident memory, before and with the streams open. A measurement, not a
 * check: run it with {@code -Dmainstay.measure.streams=true}; it prints its figures.
 */
@EnabledIfSystemProperty(named = "mainstay.measure.streams", matches = "true")
class StreamMemoryMeasurement {
    private static final int STREAMS = 1000;

    @TempDir
    Path dir;

    @Test
    void thousandOpenStreams() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            int port = TestNode.freePort();
            Process node = TestNode.in(dir).provider(fake.baseUrl()).section("streams:\n  per_account: 5000\n").launch(port, "stream-memory-node.log");
            List<SseClient> open = new ArrayList<>();
            try {
                long pid = node.pid();
                long heapBefore = heapUsedKb(pid);
                long rssBefore = rssKb(pid);
                for (int i = 0; i < STREAMS; i++) {
                    SseClient c = SseClient.open(URI.create("http://127.0.0.1:" + port + "/v1/events"), TestNode.DEMO_KEY);
                    assertThat(c.status()).isEqualTo(200);
                    open.add(c);
                }
                long heapWith = heapUsedKb(pid);
                long rssWith = rssKb(pid);
                System.out.printf("STREAM-MEMORY: %d streams: heap after full GC %d KB -> %d KB (+%.1f MB), RSS %d KB -> %d KB (+%.1f MB)%n",
                        STREAMS, heapBefore, heapWith, (heapWith - heapBefore) / 1024.0, rssBefore, rssWith, (rssWith - rssBefore) / 1024.0);
            } finally {
                open.forEach(SseClient::close);
                node.destroyForcibly().waitFor();
            }
        }
    }

    private static long heapUsedKb(long pid) throws Exception {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        long used = 0;
        if (m.find()) {
            used = Long.parseLong(m.group(1));
        }
        return used;
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
