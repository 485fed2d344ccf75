package dev.mainstay.server.webhooks;

import dev.mainstay.store.WebhookStore;
import dev.mainstay.webhook.AttemptOutcome;
import dev.mainstay.webhook.AttemptResult;
import dev.mainstay.webhook.DeliveryPolicy;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.SecretBox;
import dev.mainstay.webhook.Signatures;
import dev.mainstay.webhook.SigningSecret;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's webhook sender: claims due deliveries (each leased to this node alone, at most its
 * endpoint's concurrency across the cluster), makes each attempt on a virtual thread, and writes
 * its outcome. The same {@code webhook-id} goes with every attempt of a message; the timestamp and
 * signature are made afresh for each, with every live secret of the endpoint (two during a
 * rotation's overlap). A node that died mid-attempt has its deliveries attempted again once their
 * lease ends (at once when it restarts under the same name): the receiver may then see a message
 * twice, with the same {@code webhook-id}, and drop the repeat.
 *
 * <p>Secrets are opened only to sign, and appear in no log line and no stored field.
 */
public final class DeliveryWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);
    /** How often an idle worker looks for due deliveries when no wake-up came. */
    static final Duration IDLE_POLL = Duration.ofMillis(250);

    private final WebhookStore store;
    private final SecretBox box;
    private final WebhookSender sender;
    private final DeliveryPolicy policy;
    private final Clock clock;
    private final String owner;
    private final WebhookSettings settings;
    private final Semaphore slots;
    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean stopping;
    private Thread loop;

    /**
     * @param owner the node's name: the leases it takes carry it
     * @param userAgent the {@code User-Agent} of every attempt
     */
    public DeliveryWorker(WebhookStore store, SecretBox box, WebhookSettings settings, Clock clock, String owner, String userAgent, RandomGenerator random) {
        this.store = store;
        this.box = box;
        this.settings = settings;
        this.clock = clock;
        this.owner = owner;
        this.sender = new WebhookSender(settings, clock, userAgent);
        this.policy = new DeliveryPolicy(settings.disableAfter(), random);
        this.slots = new Semaphore(settings.maxInFlight());
    }

    /**
     * Takes back what this node's earlier run held, registers for wake-ups, and starts sending.
     *
     * @param onWork registers a callback the store runs when work may have become due (the job store's {@code onWork})
     */
    public synchronized void start(Consumer<Runnable> onWork) {
        int recovered = store.recoverDeliveryLeases(owner);
        if (recovered > 0) {
            LOG.info("webhooks: took back {} deliveries leased by {} before it stopped", recovered, owner);
        }
        onWork.accept(this::wake);
        loop = Thread.ofPlatform().name("mainstay-webhooks").daemon().start(this::run);
    }

    /** Looks for due deliveries now rather than at the next poll. */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void run() {
        while (!stopping) {
            try {
                int free = slots.availablePermits();
                List<DueDelivery> claimed = List.of();
                if (free > 0) {
                    Instant now = clock.instant();
                    claimed = store.claimDeliveries(owner, free, now, now.plus(settings.lease()));
                }
                for (DueDelivery d : claimed) {
                    slots.acquire();
                    Thread.ofVirtual().name("webhook-" + d.delivery().id()).start(() -> {
                        try {
                            attempt(d);
                        } finally {
                            slots.release();
                            wake();
                        }
                    });
                }
                if (claimed.isEmpty() || claimed.size() >= free) {
                    pause();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.warn("webhooks: claiming due deliveries failed on {}; trying again", owner, e);
                try {
                    pause();
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void pause() throws InterruptedException {
        synchronized (signal) {
            if (!woken && !stopping) {
                signal.wait(IDLE_POLL.toMillis());
            }
            woken = false;
        }
    }

    private void attempt(DueDelivery due) {
        var d = due.delivery();
        Instant started = clock.instant();
        AttemptOutcome outcome;
        try {
            List<SigningSecret> secrets = new ArrayList<>();
            for (DueDelivery.SealedSecret s : due.secrets()) {
                secrets.add(SigningSecret.parse(box.open(s.sealed(), s.boundTo())));
            }
            if (secrets.isEmpty()) {
                outcome = AttemptOutcome.noAnswer("not sent: endpoint " + due.endpoint().id() + " has no live signing secret");
            } else {
                byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
                long timestamp = started.getEpochSecond();
                outcome = sender.send(due.endpoint().url(), d.messageId(), timestamp, Signatures.header(secrets, d.messageId(), timestamp, body), d.payload());
            }
        } catch (InterruptedException e) {
            // Shutting down mid-attempt: the lease runs out (or this node takes it back at its next start) and it is tried again.
            return;
        } catch (IllegalStateException e) {
            outcome = AttemptOutcome.noAnswer("not sent: " + e.getMessage());
        }
        AttemptResult result = policy.decide(due, outcome, started, clock.instant());
        try {
            if (!store.recordAttempt(owner, result)) {
                LOG.warn("webhooks: delivery {} (message {}) was no longer leased by {} when its attempt {} ended; not recorded", d.id(), d.messageId(), owner,
                        result.attempt().number());
                return;
            }
        } catch (RuntimeException e) {
            if (!stopping) {
                LOG.warn("webhooks: recording attempt {} of delivery {} failed; it is attempted again when its lease ends", result.attempt().number(), d.id(), e);
            }
            return;
        }
        if (result.endpoint() instanceof AttemptResult.EndpointChange.Disable disable) {
            LOG.warn("webhooks: endpoint {} of account {} disabled: {}", due.endpoint().id(), due.endpoint().accountId(), disable.reason());
        }
        if (result.dead()) {
            LOG.warn("webhooks: message {} to endpoint {} dead-lettered after {} attempts (last: {})", d.messageId(), due.endpoint().id(),
                    result.attempt().number(), result.attempt().error());
        }
    }

    /** Stops claiming and waits (up to the attempt timeout) for the attempts in flight. */
    @Override
    public void close() {
        stopping = true;
        wake();
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t == null) {
            return;
        }
        try {
            t.join(Duration.ofSeconds(5));
            if (slots.tryAcquire(settings.maxInFlight(), settings.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
                slots.release(settings.maxInFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
