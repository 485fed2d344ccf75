package dev.mainstay.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode's eyes: watches the workflow directories (and every directory under them, links
 * followed, hidden ones skipped) and calls {@code onChange} once a burst of changes has settled,
 * so an editor's save (often a write, a rename and a delete) reloads once.
 */
final class WorkflowWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowWatcher.class);
    /** How long the files must stay quiet after a change before they are read again. */
    static final Duration SETTLE = Duration.ofMillis(150);

    private final List<Path> roots;
    private final Runnable onChange;
    private final WatchService watch;
    private final Thread thread;

    private WorkflowWatcher(List<Path> roots, Runnable onChange, WatchService watch) {
        this.roots = List.copyOf(roots);
        this.onChange = onChange;
        this.watch = watch;
        this.thread = Thread.ofPlatform().daemon().name("mainstay-dev-watch").unstarted(this::loop);
    }

    static WorkflowWatcher start(List<Path> roots, Runnable onChange) {
        try {
            WorkflowWatcher w = new WorkflowWatcher(roots, onChange, roots.getFirst().getFileSystem().newWatchService());
            w.registerAll();
            w.thread.start();
            return w;
        } catch (IOException e) {
            throw new dev.mainstay.ConfigException("dev mode cannot watch the workflow directories " + roots + ": " + e.getMessage(), e);
        }
    }

    /** Registers every directory under the roots; one registered before keeps its key. */
    private void registerAll() throws IOException {
        for (Path root : roots) {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(root) && dir.getFileName().toString().startsWith(".")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof FileSystemLoopException) {
                        return FileVisitResult.CONTINUE; // the loader warns about it
                    }
                    throw e;
                }
            });
        }
    }

    private void loop() {
        try {
            while (true) {
                WatchKey key = watch.take();
                drain(key);
                // Let the burst settle: a save is often several events.
                while ((key = watch.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    drain(key);
                }
                try {
                    registerAll(); // directories created meanwhile
                } catch (IOException e) {
                    LOG.warn("dev mode: cannot watch a new workflow directory: {}", e.getMessage());
                }
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    LOG.warn("dev mode: reloading the workflows failed: {}", e.toString(), e);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // closed: the node is stopping
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            LOG.warn("dev mode: closing the watch on the workflow directories failed: {}", e.getMessage());
        }
        thread.interrupt();
    }
}
