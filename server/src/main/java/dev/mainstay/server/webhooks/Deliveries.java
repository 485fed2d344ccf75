package dev.mainstay.server.webhooks;

import dev.mainstay.ConfigException;
import dev.mainstay.ContentHash;
import dev.mainstay.net.OutboundGuard;
import dev.mainstay.store.Store;
import dev.mainstay.store.WebhookStore;
import dev.mainstay.webhook.CallbackTokens;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.SecretBox;
import dev.mainstay.webhook.SigningSecret;
import dev.mainstay.webhook.WebhookEndpoint;
import dev.mainstay.workflow.WorkflowDefinition;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * What a node runs for delivery beside the engine: the secrets box, the endpoints its workflows
 * declare, the webhook worker, the sweep of overdue callbacks, and the callback URLs of its tool
 * stages. {@link #open} checks and prepares, {@link #start} starts the threads, {@link #close} stops them.
 */
public final class Deliveries implements AutoCloseable {
    private final WebhookSettings settings;
    private final Map<String, InboundSource> inbound;
    private final SecretBox box;
    private final CallbackTokens tokens;
    private final DeliveryWorker worker;
    private final CallbackTimeouts timeouts;
    private final AtomicReference<URI> nodeUrl = new AtomicReference<>();

    private Deliveries(WebhookSettings settings, Map<String, InboundSource> inbound, SecretBox box, DeliveryWorker worker, CallbackTimeouts timeouts) {
        this.settings = settings;
        this.inbound = Map.copyOf(inbound);
        this.box = box;
        this.tokens = new CallbackTokens(box);
        this.worker = worker;
        this.timeouts = timeouts;
    }

    /**
     * Loads the secrets key, checks the inbound sources against the accounts and workflows, and
     * makes the store's workflow endpoints what the workflows now declare.
     *
     * @param shared whether other nodes share the database
     */
    public static Deliveries open(WebhookSettings settings, Map<String, InboundSource> inbound, Store store, List<WorkflowDefinition> workflows, Path dataDir,
            boolean shared, Clock clock, String nodeId, String userAgent, RandomGenerator random) {
        SecretBox box = SecretsKey.load(settings.secretsKey(), dataDir, shared);
        for (InboundSource source : inbound.values()) {
            if (store.account(source.account()).isEmpty()) {
                throw new ConfigException("inbound." + source.name() + ".account: no account '" + source.account() + "'");
            }
            source.events().forEach((type, workflow) -> {
                if (workflows.stream().noneMatch(w -> w.name().equals(workflow))) {
                    throw new ConfigException("inbound." + source.name() + ".events." + type + ": no workflow '" + workflow + "'");
                }
            });
        }
        Instant now = clock.instant();
        for (WorkflowDefinition w : workflows) {
            if (w.notifyEndpoint().isEmpty()) {
                continue;
            }
            WorkflowDefinition.Notify n = w.notifyEndpoint().get();
            String refused = OutboundGuard.policyRefusal(n.url(), settings.allowPrivate());
            if (refused != null) {
                throw new ConfigException(w.source() + ": notify.url: " + refused);
            }
            String secret = settings.environment().get(n.secretEnv());
            if (secret == null || secret.isBlank()) {
                throw new ConfigException(w.source() + ": notify.secret.env: names the environment variable " + n.secretEnv() + ", which is not set");
            }
            String text;
            try {
                text = SigningSecret.parse(secret).reveal();
            } catch (ConfigException e) {
                throw new ConfigException(w.source() + ": notify.secret.env: " + n.secretEnv() + ": " + e.getMessage());
            }
            String id = "whe_workflow_" + ContentHash.sha256(w.name()).substring(0, 24);
            WebhookEndpoint endpoint = new WebhookEndpoint(id, WebhookStore.WORKFLOW_ACCOUNT, n.url(), n.events(), w.name(), "declared by " + w.name(), true,
                    null, null, WebhookEndpoint.DEFAULT_MAX_CONCURRENCY, now, now);
            store.syncWorkflowEndpoint(endpoint, new DueDelivery.SealedSecret(id, "whs_workflow", box.seal(text, id + "/whs_workflow")));
        }
        return new Deliveries(settings, inbound, box, new DeliveryWorker(store, box, settings, clock, nodeId, userAgent, random),
                new CallbackTimeouts(store, clock));
    }

    /** Starts sending and sweeping; {@code onWork} registers with the store's wake-ups. */
    public void start(Store store, URI nodeUrl) {
        this.nodeUrl.set(nodeUrl);
        worker.start(store::onWork);
        timeouts.start();
    }

    public SecretBox box() {
        return box;
    }

    public CallbackTokens tokens() {
        return tokens;
    }

    public WebhookSettings settings() {
        return settings;
    }

    public Map<String, InboundSource> inbound() {
        return inbound;
    }

    /** Tells the worker that deliveries may be due now. */
    public void wake() {
        worker.wake();
    }

    /** Where callback URLs point: {@code callbacks.base_url}, else this node's address once it listens. */
    public Supplier<URI> callbackBase() {
        return () -> settings.callbackBase().orElseGet(nodeUrl::get);
    }

    @Override
    public void close() {
        timeouts.close();
        worker.close();
    }
}
