package dev.mainstay.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: its own data directory under the system temp directory,
 * on a free loopback port, with trust authentication for the {@code postgres} role. Made with the
 * machine's own PostgreSQL binaries (Debian's {@code postgresql} package; {@code ./mainstay test}
 * installs it), stopped and deleted by {@link #close()} and, failing that, when the JVM exits.
 *
 * <pre>{@code
 * PostgresCluster pg = PostgresCluster.shared();
 * String url = pg.jdbcUrl(pg.createDatabase("jobs"));   // jdbc:postgresql://127.0.0.1:PORT/jobs_1
 * }</pre>
 *
 * <p>PostgreSQL refuses to run as root. When the JVM runs as root, the cluster's directory is given
 * to the {@code postgres} user and the server programs run as that user through {@code runuser}; the
 * system temp directory must then be one that user can reach (the usual {@code /tmp} is).
 *
 * <p>Binaries: the directory named by the system property {@value #BIN_PROPERTY}, else the newest
 * {@code /usr/lib/postgresql/<version>/bin}.
 */
public final class PostgresCluster implements AutoCloseable {
    /** System property naming the directory that holds {@code initdb} and {@code pg_ctl}. */
    public static final String BIN_PROPERTY = "mainstay.postgres.bin";
    /** The superuser role every cluster has; it needs no password from loopback. */
    public static final String USER = "postgres";
    private static final String HOST = "127.0.0.1";
    private static final String DIR_PREFIX = "mainstay-pg-";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final Path DEBIAN_BINARIES = Path.of("/usr/lib/postgresql");
    private static final File DEV_NULL = new File("/dev/null");

    private static PostgresCluster shared;

    private final Path bin;
    private final Path base;
    private final Path data;
    private final Path log;
    private final int port;
    private final boolean asPostgresUser;
    private final AtomicInteger databases = new AtomicInteger();
    private final Thread cleanup;
    private boolean closed;

    private PostgresCluster(Path bin, Path base, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.base = base;
        this.data = base.resolve("data");
        this.log = base.resolve("server.log");
        this.port = port;
        this.asPostgresUser = asPostgresUser;
        this.cleanup = Thread.ofPlatform().name("mainstay-pg-cleanup").unstarted(this::destroy);
    }

    /**
     * The cluster of this JVM, started on first use and stopped when the JVM exits. Tests share it
     * and keep apart by each using databases of their own ({@link #createDatabase(String)}); they
     * must leave it running.
     */
    public static synchronized PostgresCluster shared() {
        if (shared == null || shared.closed) {
            shared = create();
        }
        return shared;
    }

    /** A new cluster of the caller's own, running; {@link #close()} stops and deletes it. */
    public static PostgresCluster create() {
        Path bin = binaries();
        boolean root = isRoot();
        removeAbandoned(bin, root);
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Path base;
            try {
                base = Files.createTempDirectory(DIR_PREFIX);
                Files.writeString(base.resolve("owner.pid"), Long.toString(ProcessHandle.current().pid()));
                if (root) {
                    UserPrincipal postgres = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
                    Files.setOwner(base, postgres);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare a directory for a PostgreSQL cluster: " + e.getMessage(), e);
            }
            PostgresCluster cluster = new PostgresCluster(bin, base, freePort(), root);
            Runtime.getRuntime().addShutdownHook(cluster.cleanup);
            try {
                cluster.initdb();
            } catch (IOException e) {
                cluster.close();
                throw new UncheckedIOException("cannot create a PostgreSQL cluster: " + e.getMessage(), e);
            }
            try {
                cluster.startServer();
                return cluster;
            } catch (IOException e) {
                // Most likely the port was taken between choosing and binding it: try another.
                last = e;
                cluster.close();
            }
        }
        throw new UncheckedIOException("cannot start a PostgreSQL cluster (3 attempts): " + last.getMessage(), last);
    }

    /** The loopback address the server listens on. */
    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    /** The role to connect as (no password needed). */
    public String user() {
        return USER;
    }

    /** The cluster's data directory, whose files a test may read (to look for bytes that must be gone, say). */
    public Path dataDirectory() {
        return data;
    }

    /** Where the server writes its log; worth reading when a test fails strangely. */
    public Path logFile() {
        return log;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/database}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /**
     * Creates an empty database with a name never used before in this cluster and returns the
     * name: {@code prefix} (letters, digits and underscores) followed by {@code _} and a number.
     */
    public String createDatabase(String prefix) {
        if (!prefix.matches("[a-z][a-z0-9_]{0,40}")) {
            throw new IllegalArgumentException("a database name prefix is lower-case letters, digits and underscores, was '" + prefix + "'");
        }
        String name = prefix + "_" + databases.incrementAndGet();
        run(false, List.of(bin.resolve("createdb").toString(), "-h", HOST, "-p", Integer.toString(port), "-U", USER, name));
        return name;
    }

    /** Drops a database, ending any session still connected to it. */
    public void dropDatabase(String name) {
        run(false, List.of(bin.resolve("dropdb").toString(), "-h", HOST, "-p", Integer.toString(port), "-U", USER, "--if-exists", "--force", name));
    }

    /** Starts the server again after {@link #stop()}; data and port are kept. */
    public synchronized void start() {
        checkOpen();
        try {
            startServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** Stops the server (fast: open sessions are ended); the data stays for {@link #start()}. */
    public synchronized void stop() {
        checkOpen();
        run(true, pgCtl("stop", "-m", "fast"));
    }

    /** Restarts the server, ending every open session the way a database failover or restart does. */
    public synchronized void restart() {
        checkOpen();
        run(true, pgCtl("restart", "-m", "fast"));
    }

    /** Stops the server and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException exiting) {
            // the JVM is already shutting down and runs the hook anyway
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + HOST + ":" + port + ", " + base + "]";
    }

    // ---- internals ----------------------------------------------------------------------------

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void startServer() throws IOException {
        runChecked(true, pgCtl("start", "-l", log.toString(), "-o",
                "-p " + port + " -k " + base + " -c listen_addresses=" + HOST + " -c fsync=on"));
    }

    private void initdb() throws IOException {
        runChecked(true, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync"));
    }

    private List<String> pgCtl(String action, String... options) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), action, "-D", data.toString(), "-w", "-t", "60"));
        command.addAll(List.of(options));
        return command;
    }

    private void destroy() {
        if (Files.exists(data.resolve("postmaster.pid"))) {
            try {
                runChecked(true, pgCtl("stop", "-m", "immediate"));
            } catch (IOException | RuntimeException e) {
                System.err.println("mainstay: could not stop " + this + ": " + e.getMessage());
            }
        }
        deleteTree(base);
    }

    private void run(boolean server, List<String> command) {
        try {
            runChecked(server, command);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Runs one PostgreSQL program to its end; throws with its output (and the server log's tail)
     * when it fails. Server programs run as the {@code postgres} user when the JVM is root.
     */
    private void runChecked(boolean server, List<String> command) throws IOException {
        runIn(base, server && asPostgresUser, command, log);
    }

    private static void runIn(Path dir, boolean asPostgres, List<String> command, Path log) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(command);
        Path output = Files.createTempFile("mainstay-pg-command", ".out");
        try {
            // Output goes to a file, not a pipe: pg_ctl's server child could otherwise hold the pipe open.
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start();
            boolean done = p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            if (!done || p.exitValue() != 0) {
                String out = Files.readString(output, StandardCharsets.UTF_8).strip();
                throw new IOException(String.join(" ", full) + (done ? " exited with " + p.exitValue() : " did not finish in " + COMMAND_TIMEOUT.toSeconds() + "s")
                        + (out.isEmpty() ? "" : ":\n" + out) + logTail(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", full), e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String logTail(Path log) {
        if (log == null || !Files.isReadable(log)) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\nserver log (" + log + "), last lines:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static Path binaries() {
        String configured = System.getProperty(BIN_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path bin = Path.of(configured);
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new IllegalStateException(BIN_PROPERTY + "=" + configured + " holds no executable initdb");
            }
            return bin;
        }
        if (Files.isDirectory(DEBIAN_BINARIES)) {
            try (Stream<Path> versions = Files.list(DEBIAN_BINARIES)) {
                Optional<Path> newest = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.comparingInt(PostgresCluster::majorVersion));
                if (newest.isPresent()) {
                    return newest.get();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + DEBIAN_BINARIES + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException("no PostgreSQL server binaries: found no " + DEBIAN_BINARIES + "/<version>/bin/initdb. "
                + "Install them ('apt-get install -y postgresql'; './mainstay test' does so when run as root) "
                + "or point -D" + BIN_PROPERTY + " at the directory that holds initdb and pg_ctl.");
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer n && n == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port: " + e.getMessage(), e);
        }
    }

    /**
     * Stops and deletes clusters left behind by JVMs that died without running their shutdown hooks
     * (a killed test run), so that they do not pile up.
     */
    private static void removeAbandoned(Path bin, boolean root) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, DIR_PREFIX + "*")) {
            for (Path dir : dirs) {
                Path owner = dir.resolve("owner.pid");
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(owner).strip());
                } catch (IOException | NumberFormatException e) {
                    continue; // being set up right now, or not one of ours
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                Path abandonedData = dir.resolve("data");
                if (Files.exists(abandonedData.resolve("postmaster.pid"))) {
                    try {
                        runIn(dir, root, List.of(bin.resolve("pg_ctl").toString(), "stop", "-D", abandonedData.toString(), "-w", "-t", "30", "-m", "immediate"), null);
                    } catch (IOException e) {
                        // The server may already be gone; the directory goes all the same.
                    }
                }
                deleteTree(dir);
            }
        } catch (IOException e) {
            // Nothing to clean up, or no permission to look: not worth failing a test over.
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("mainstay: could not delete " + root + ": " + e.getMessage());
        }
    }
}
