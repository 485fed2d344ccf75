package dev.mainstay.server.stream;

import java.time.Duration;
import java.util.Objects;

/**
 * How a node serves live event streams ({@code streams:} in the configuration).
 *
 * @param heartbeat how long a stream may stay silent before a comment line keeps proxies and
 *     browsers from closing it
 * @param perAccount how many streams one account may hold open on this node; one more is {@code 429}
 * @param perNode how many streams this node holds open in all; one more is {@code 503}
 * @param buffer how many events wait for one stream's client before it counts as too slow and is
 *     ended (it resumes from its last event id)
 * @param poll how often the node reads new events without being woken: a safety net for a lost
 *     wake-up, not the way events normally arrive
 */
public record StreamConfig(Duration heartbeat, int perAccount, int perNode, int buffer, Duration poll) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    public static final int DEFAULT_PER_ACCOUNT = 100;
    public static final int DEFAULT_PER_NODE = 10_000;
    public static final int DEFAULT_BUFFER = 256;
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(5);
    public static final StreamConfig DEFAULTS = new StreamConfig(DEFAULT_HEARTBEAT, DEFAULT_PER_ACCOUNT, DEFAULT_PER_NODE, DEFAULT_BUFFER, DEFAULT_POLL);

    /** How many events one read of the store returns at most. */
    static final int PAGE = 500;

    public StreamConfig {
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(poll, "poll");
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("streams.heartbeat must be positive, not " + heartbeat);
        }
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("streams.poll must be positive, not " + poll);
        }
        if (perAccount < 1 || perNode < 1 || buffer < 1) {
            throw new IllegalArgumentException("streams.per_account, per_node and buffer must be at least 1, not "
                    + perAccount + ", " + perNode + " and " + buffer);
        }
    }

    /** The {@code streams} section of {@code doc}, defaults where absent. */
    public static StreamConfig read(dev.mainstay.config.YamlDocument doc) {
        doc.onlyKeys("/streams", "heartbeat", "per_account", "per_node", "buffer", "poll");
        Duration heartbeat = doc.duration("/streams/heartbeat", DEFAULT_HEARTBEAT);
        if (heartbeat.compareTo(Duration.ofMillis(10)) < 0) {
            throw doc.error("/streams/heartbeat", "must be at least 10ms");
        }
        Duration poll = doc.duration("/streams/poll", DEFAULT_POLL);
        if (poll.compareTo(Duration.ofMillis(10)) < 0) {
            throw doc.error("/streams/poll", "must be at least 10ms");
        }
        return new StreamConfig(heartbeat, doc.integer("/streams/per_account", DEFAULT_PER_ACCOUNT, 1, 1_000_000),
                doc.integer("/streams/per_node", DEFAULT_PER_NODE, 1, 10_000_000), doc.integer("/streams/buffer", DEFAULT_BUFFER, 1, 1_000_000), poll);
    }

    public StreamConfig withHeartbeat(Duration d) {
        return new StreamConfig(d, perAccount, perNode, buffer, poll);
    }

    public StreamConfig withPerAccount(int n) {
        return new StreamConfig(heartbeat, n, perNode, buffer, poll);
    }

    public StreamConfig withBuffer(int n) {
        return new StreamConfig(heartbeat, perAccount, perNode, n, poll);
    }
}
