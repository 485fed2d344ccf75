package dev.mainstay.server;

import dev.mainstay.ConfigException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name a node leases jobs under, kept in its data directory ({@code node-id}) so that it stays
 * the same from one run to the next. A node that died (SIGKILL, power loss) and starts again on
 * the same data directory knows that the leases held under its name are its earlier run's, and
 * takes them back at once instead of waiting for them to expire
 * ({@link dev.mainstay.store.Store#recoverLeases}).
 *
 * <p>The name must never belong to two running nodes, or each would pass the other's lease checks.
 * So the node holds an exclusive lock on {@code node.lock} beside it while it runs; the operating
 * system drops the lock when the process ends, however it ends. A second node started on the same
 * data directory finds the lock taken and runs under a fresh name of its own, whose leases expire
 * as before. The name carries the machine's host name: a data directory copied to another machine
 * gets a name of its own there rather than sharing one with the original.
 */
final class NodeIdentity implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeIdentity.class);
    private static final Pattern NAME = Pattern.compile("node-[a-z0-9.-]{1,48}-[0-9a-f]{8}");
    /**
     * Lock files this process holds, checked before a second channel is opened on one: on Linux,
     * closing any descriptor of a file drops every lock the process holds on it.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final String name;
    private final Path lockFile;
    private final FileChannel channel;
    private final FileLock lock;

    private NodeIdentity(String name, Path lockFile, FileChannel channel, FileLock lock) {
        this.name = name;
        this.lockFile = lockFile;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * The data directory's node name, locked for this process; or, when another running node holds
     * it, a fresh name for this run alone.
     *
     * @throws ConfigException when the data directory cannot be written
     */
    static NodeIdentity claim(Path dataDir, RandomGenerator random) {
        String host = host();
        Path lockFile = dataDir.toAbsolutePath().normalize().resolve("node.lock");
        Path idFile = lockFile.resolveSibling("node-id");
        try {
            Files.createDirectories(dataDir);
            if (HELD.add(lockFile)) {
                FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    HELD.remove(lockFile);
                    throw e;
                }
                if (lock != null) {
                    String name = stored(idFile, host);
                    if (name == null) {
                        name = fresh(host, random);
                        Path tmp = idFile.resolveSibling("node-id.tmp");
                        Files.writeString(tmp, name + "\n", StandardCharsets.US_ASCII);
                        Files.move(tmp, idFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    }
                    return new NodeIdentity(name, lockFile, channel, lock);
                }
                channel.close();
                HELD.remove(lockFile);
            }
        } catch (IOException e) {
            throw new ConfigException("data_dir " + dataDir + ": cannot keep this node's name in " + idFile + " (" + e.getMessage() + ")");
        }
        String name = fresh(host, random);
        LOG.warn("another running node holds the name kept in {} ({} is locked): this node runs as {}; should it die, its jobs wait for their leases to expire",
                idFile, lockFile, name);
        return new NodeIdentity(name, null, null, null);
    }

    /** The name kept in {@code idFile} if it is well-formed and of this host, else null. */
    private static String stored(Path idFile, String host) throws IOException {
        if (!Files.exists(idFile)) {
            return null;
        }
        String name = Files.readString(idFile, StandardCharsets.US_ASCII).strip();
        if (NAME.matcher(name).matches() && name.startsWith("node-" + host + "-")) {
            return name;
        }
        LOG.info("{} holds '{}', which is not a name of this host ({}): this node takes a new one", idFile, name, host);
        return null;
    }

    private static String fresh(String host, RandomGenerator random) {
        byte[] bytes = new byte[4];
        random.nextBytes(bytes);
        return "node-" + host + "-" + HexFormat.of().formatHex(bytes);
    }

    /** The machine's host name as the kernel has it, cut to what a lease owner may hold. */
    private static String host() {
        String host = null;
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) {
                host = Files.readString(kernel, StandardCharsets.US_ASCII);
            }
        } catch (IOException ignored) {
            // fall back to the environment
        }
        if (host == null || host.isBlank()) {
            host = System.getenv().getOrDefault("HOSTNAME", System.getenv().getOrDefault("COMPUTERNAME", "host"));
        }
        String clean = host.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        clean = clean.length() > 48 ? clean.substring(0, 48) : clean;
        return clean.isEmpty() ? "host" : clean;
    }

    /** The lease owner name of this node. */
    String name() {
        return name;
    }

    @Override
    public void close() {
        if (lock == null) {
            return;
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the process's end drops it anyway
        } finally {
            HELD.remove(lockFile);
        }
    }
}
