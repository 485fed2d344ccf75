package dev.mainstay.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on its channels ({@link PostgresStore#CHANNEL}, {@link PostgresStore#EVENTS_CHANNEL})
 * over a connection of its own (a pooled one would be handed to others between reads) and runs a
 * channel's callback for every batch of notifications on it. When the connection dies (the
 * database restarted, the network failed) it reconnects with backoff and runs every callback once
 * more, since notifications sent meanwhile are lost.
 */
final class WorkListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkListener.class);
    /** How long one wait for notifications lasts: bounds how late {@link #close()} is noticed. */
    private static final int WAIT_MILLIS = 250;
    /**
     * A connection silent this long is checked with a query: a dead peer that sent nothing (a
     * network cut rather than a restart) is otherwise noticed only by TCP keep-alive, much later.
     */
    private static final Duration CHECK_SILENCE = Duration.ofSeconds(10);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** Opens a new connection to the database. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    /** Channel name → what runs when it is notified, in the order the channels are listened to. */
    private final Map<String, Runnable> channels;
    private final CountDownLatch listening = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection current;

    private WorkListener(Connector connector, Map<String, Runnable> channels) {
        this.connector = connector;
        this.channels = new LinkedHashMap<>(channels);
        this.thread = Thread.ofPlatform().name("mainstay-postgres-listener").daemon(true).unstarted(this::loop);
    }

    /**
     * Starts listening and waits up to {@code ready} for the first {@code LISTEN} to be in place, so
     * that writes made after the store opened are heard. If it is not in place by then, the
     * listener keeps trying in the background.
     */
    static WorkListener start(Connector connector, Map<String, Runnable> channels, Duration ready) {
        WorkListener listener = new WorkListener(connector, channels);
        listener.thread.start();
        try {
            if (!listener.listening.await(ready.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("not yet listening on {} after {}; wake-ups start once the listener connects", listener.channels.keySet(), ready);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return listener;
    }

    private void loop() {
        Duration backoff = FIRST_BACKOFF;
        boolean everListened = false;
        boolean failing = false;
        while (!closed) {
            try (Connection c = connector.connect(); Statement s = c.createStatement()) {
                current = c;
                if (closed) {
                    return;
                }
                for (String channel : channels.keySet()) {
                    s.execute("LISTEN " + channel);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                if (everListened) {
                    LOG.info("listening on {} again", channels.keySet());
                    channels.values().forEach(Runnable::run); // notifications sent while we were away are lost
                }
                everListened = true;
                failing = false;
                backoff = FIRST_BACKOFF;
                listening.countDown();
                long heard = System.nanoTime();
                while (!closed) {
                    PGNotification[] got = pg.getNotifications(WAIT_MILLIS);
                    if (got != null && got.length > 0) {
                        heard = System.nanoTime();
                        Set<String> named = new HashSet<>();
                        for (PGNotification n : got) {
                            named.add(n.getName());
                        }
                        channels.forEach((channel, callback) -> {
                            if (named.contains(channel)) {
                                callback.run();
                            }
                        });
                    } else if (System.nanoTime() - heard > CHECK_SILENCE.toNanos()) {
                        s.execute("SELECT 1");
                        heard = System.nanoTime();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                if (!failing) {
                    LOG.warn("lost the connection listening on {}; reconnecting: {}", channels.keySet(), e.getMessage());
                    failing = true;
                } else {
                    LOG.debug("still cannot listen on {}: {}", channels.keySet(), e.getMessage());
                }
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } finally {
                current = null;
            }
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            // close() interrupts; the loop condition sees closed
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        Connection c = current;
        if (c != null) {
            try {
                c.close(); // ends a wait for notifications at once
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
