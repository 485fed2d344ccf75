package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.store.Erasure;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.retention.Erasures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Every erasure this node knows of, one JSON line each ({@code erasures.log}: id, scope, target,
 * when), kept outside the database so that restoring an older backup cannot take them back: at
 * start a node applies again every erasure in the log that the database does not know. Those run
 * through this node are appended before they erase anything; those run through other nodes on a
 * shared database are appended at start and at every sweep ({@link #catchUp}). A line names a
 * subject by its digest only, like the database does.
 */
public final class ErasureLog {
    private static final Logger LOG = LoggerFactory.getLogger(ErasureLog.class);
    static final String FILE = "erasures.log";

    private final Path file;

    private ErasureLog(Path file) {
        this.file = file;
    }

    /** The log of the data directory {@code dataDir}. */
    public static ErasureLog in(Path dataDir) {
        return new ErasureLog(dataDir.resolve(FILE));
    }

    public Path file() {
        return file;
    }

    /** Appends {@code e} and forces it to disk; once per erasure id (asking again adds nothing). */
    public synchronized void append(Erasure e) {
        if (!entries().containsKey(e.id())) {
            write(List.of(e));
        }
    }

    /**
     * Appends every erasure of {@code onRecord} (the database's) that the log lacks, so that the log
     * of each node on a shared database holds every erasure, whichever node ran it, and any one
     * node's log is enough to erase again what a restored backup brings back. Run at start and at
     * every sweep.
     *
     * @return the ids appended
     */
    public synchronized List<String> catchUp(List<Erasure> onRecord) {
        Map<String, ErasureScope> known = entries();
        List<Erasure> missing = onRecord.stream().filter(e -> !known.containsKey(e.id())).toList();
        if (!missing.isEmpty() && write(missing)) {
            LOG.info("{} erasure(s) made through other nodes added to {}", missing.size(), file);
        }
        return missing.stream().map(Erasure::id).toList();
    }

    /** Appends one line per erasure and forces them to disk; false (logged) when it could not. */
    private boolean write(List<Erasure> erasures) {
        StringBuilder lines = new StringBuilder();
        for (Erasure e : erasures) {
            lines.append(Json.write(Json.object().put("id", e.id()).put("scope", e.scope().kind()).put("target", e.scope().target())
                    .put("at", e.createdAt().toString()))).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                channel.write(java.nio.ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            return true;
        } catch (IOException ex) {
            // The erasure itself is on record in the database; only its replay after a restore is at stake.
            LOG.error("erasure(s) {} could not be written to {}: {}; a backup restored later will not erase them again unless another log has them",
                    erasures.stream().map(Erasure::id).toList(), file, ex.getMessage());
            return false;
        }
    }

    /** The scopes on file by erasure id, oldest first; a line that cannot be read is skipped with a warning. */
    public synchronized Map<String, ErasureScope> entries() {
        Map<String, ErasureScope> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read the erasure log " + file + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode n = Json.parse(line);
                out.put(n.path("id").asString(), ErasureScope.of(n.path("scope").asString(), n.path("target").asString()));
            } catch (RuntimeException e) {
                LOG.warn("{}:{}: not an erasure record ({}); skipped", file, i + 1, e.getMessage());
            }
        }
        return out;
    }

    /**
     * Applies again every erasure on file that the database does not have (it was restored from a
     * backup older than the erasure); returns the ids applied.
     */
    public List<String> replay(Erasures erasures) {
        List<String> applied = new ArrayList<>();
        entries().forEach((id, scope) -> {
            if (erasures.erasure(id).isEmpty()) {
                Erasure done = erasures.erase(scope, "system:erasure-log");
                LOG.info("erasure {} from {} applied again (the database did not have it): {} job(s)", id, file, done.jobs());
                applied.add(id);
            }
        });
        return applied;
    }
}
