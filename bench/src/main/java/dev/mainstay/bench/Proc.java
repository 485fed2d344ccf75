package dev.mainstay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of a process from /proc (Linux). */
final class Proc {
    private Proc() {
    }

    static long rssKb(long pid) {
        return field(pid, "VmRSS:");
    }

    static long hwmKb(long pid) {
        return field(pid, "VmHWM:");
    }

    private static long field(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
