package dev.mainstay.store.sqlite;

import dev.mainstay.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guarantee that one process at a time runs on a SQLite database: an exclusive lock on
 * {@code <database>.lock}, held while the store is open. The operating system drops the lock when
 * the process ends, however it ends (SIGKILL, power loss), so a lock that is free belongs to nobody.
 * That is what lets a store opened on the file treat every lease it finds as an orphan.
 *
 * <p>SQLite's own locks cannot say this: in WAL mode any number of processes may write in turn,
 * and an exclusive locking mode would shut out the store's own readers too. Readers from outside
 * (the {@code sqlite3} shell) do not take this lock and are not kept out.
 */
final class ProcessLock implements AutoCloseable {
    /**
     * Lock files this process holds. Checked before a second channel is opened on one: on Linux,
     * closing any descriptor of a file drops every lock the process holds on it, so a failed
     * second attempt must not even open the file.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private ProcessLock(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code database}, writing this process's id into the lock file.
     *
     * @throws StoreException naming the process that holds it, when one does
     */
    static ProcessLock take(Path database) {
        Path path = database.toAbsolutePath().normalize().resolveSibling(database.getFileName() + ".lock");
        if (!HELD.add(path)) {
            throw new StoreException("the database " + database + " is already open in this process: one store per SQLite file (lock " + path + ")");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new StoreException("the database " + database + " is in use by another Mainstay process (" + holder(path)
                        + "; lock " + path + "): only one node runs on a SQLite file. Stop that process, or give this one another data directory");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new ProcessLock(path, channel, lock);
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            HELD.remove(path);
            throw new StoreException("cannot lock the database " + database + " through " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(path);
            throw e;
        }
    }

    private static String holder(Path path) {
        try {
            String text = Files.readString(path, StandardCharsets.US_ASCII).strip();
            return text.isEmpty() ? "process unknown" : text;
        } catch (IOException e) {
            return "process unknown";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // failing anyway
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
        HELD.remove(path);
    }
}
