package dev.mainstay.store.jdbc;

import dev.mainstay.store.*;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.webhook.AttemptOutcome;
import dev.mainstay.webhook.AttemptResult;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryPolicy;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DeliverySchedule;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.EventTypes;
import dev.mainstay.webhook.WebhookEndpoint;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What every dialect guarantees of webhooks, inbound events and callback tokens: the outbox rows a
 * job's transition writes with it, claims that lease each delivery to one owner within its
 * endpoint's concurrency, attempts written only by their lease holder, replays that keep the
 * {@code webhook-id}, and events and tokens taken once.
 */
public abstract class WebhookStoreContract {
    protected static final Instant T0 = Instant.parse("2026-12-01T09:00:00Z");
    protected static final String ACCOUNT = "acct_hooks";
    private static final Duration LEASE = Duration.ofSeconds(40);

    protected Store store;
    private final JobIds ids = new JobIds(Clock.fixed(T0, ZoneOffset.UTC));
    private final DeliveryPolicy policy = new DeliveryPolicy(Duration.ofDays(5), new Random(3));

    protected abstract Store openStore();

    @BeforeEach
    void open() {
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    protected final WebhookEndpoint endpoint(String account, String workflow, int concurrency, String... events) {
        WebhookEndpoint e = new WebhookEndpoint(ids.next("whe"), account, URI.create("https://hooks.example.com/" + account), List.of(events), workflow, null, true,
                null, null, concurrency, T0, T0);
        store.createEndpoint(e, new DueDelivery.SealedSecret(e.id(), ids.next("whs"), "v1.sealed"));
        return e;
    }

    protected final Job job(String account, String workflow) {
        JsonNode input = Json.object().put("text", "hello " + ids.next("x"));
        NewJob n = new NewJob(ids.next("job"), account, workflow, 1, input, ContentHash.sha256(Json.canonical(input)), null,
                ContentHash.sha256(workflow + "\n" + Json.canonical(input)), 0, T0, T0.plus(Duration.ofMinutes(2)));
        Job job = ((SubmitOutcome.Created) store.submit(n)).job();
        assertThat(store.claim("node-a", 1, T0, T0.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
        return job;
    }

    private List<Delivery> deliveries(WebhookEndpoint e) {
        return store.deliveries(new DeliveryQuery(e.accountId(), e.id(), null, null, null, null, 200));
    }

    @Test
    void aTerminalTransitionQueuesItsEventForEverySubscribedEndpointOfItsAccountAndNoOther() {
        WebhookEndpoint completed = endpoint(ACCOUNT, null, 4, EventTypes.JOB_COMPLETED, EventTypes.JOB_FAILED);
        WebhookEndpoint alsoCompleted = endpoint(ACCOUNT, "support/draft-response", 4, EventTypes.JOB_COMPLETED);
        WebhookEndpoint failedOnly = endpoint(ACCOUNT, null, 4, EventTypes.JOB_FAILED);
        WebhookEndpoint otherWorkflow = endpoint(ACCOUNT, "leads/classify", 4, EventTypes.JOB_COMPLETED);
        WebhookEndpoint otherAccount = endpoint("acct_other", null, 4, EventTypes.JOB_COMPLETED);
        Job job = job(ACCOUNT, "support/draft-response");

        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.PROCESSING, T0).from(JobStatus.PROCESSING).leasedBy("node-a")
                .event("stage_completed", Json.object()).build())).isTrue();
        assertThat(deliveries(completed)).as("a transition that is not an ending emits nothing").isEmpty();

        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(1)).from(JobStatus.PROCESSING).leasedBy("node-a")
                .result(Json.object().put("reply", "done"), ResultType.FULL).build())).isTrue();
        List<Delivery> a = deliveries(completed);
        List<Delivery> b = deliveries(alsoCompleted);
        assertThat(a).hasSize(1);
        assertThat(b).hasSize(1);
        assertThat(deliveries(failedOnly)).isEmpty();
        assertThat(deliveries(otherWorkflow)).isEmpty();
        assertThat(store.deliveries(new DeliveryQuery("acct_other", otherAccount.id(), null, null, null, null, 10))).isEmpty();

        Delivery d = a.getFirst();
        assertThat(d.messageId()).as("one event, one webhook-id for every endpoint").isEqualTo(b.getFirst().messageId()).startsWith("msg_");
        assertThat(d.status()).isEqualTo(Delivery.Status.PENDING);
        assertThat(d.nextAttemptAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(d.jobId()).isEqualTo(job.id());
        JsonNode body = Json.parse(d.payload());
        assertThat(body.path("type").asString()).isEqualTo("job.completed");
        assertThat(body.path("data").path("job_id").asString()).isEqualTo(job.id());
        assertThat(body.path("data").path("workflow").asString()).isEqualTo("support/draft-response");
        assertThat(body.path("data").path("result").path("reply").asString()).isEqualTo("done");
        assertThat(body.path("data").path("result_type").asString()).isEqualTo("full");
    }

    @Test
    void aTransitionThatDoesNotApplyQueuesNothing() {
        WebhookEndpoint e = endpoint(ACCOUNT, null, 4, EventTypes.JOB_FAILED);
        Job job = job(ACCOUNT, "support/draft-response");
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.FAILED, T0).from(JobStatus.PROCESSING).leasedBy("node-b")
                .error(new JobError(ErrorCode.TOOL_FAILED, "no", true)).build())).isFalse();
        assertThat(deliveries(e)).isEmpty();
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.FAILED, T0).from(JobStatus.PROCESSING).leasedBy("node-a")
                .error(new JobError(ErrorCode.TOOL_FAILED, "the tool said no", true)).build())).isTrue();
        JsonNode body = Json.parse(deliveries(e).getFirst().payload());
        assertThat(body.path("data").path("error").path("code").asString()).isEqualTo("tool_failed");
    }

    @Test
    void claimsLeaseEachDeliveryToOneOwnerWithinItsEndpointsConcurrency() {
        WebhookEndpoint e = endpoint(ACCOUNT, null, 2, EventTypes.JOB_COMPLETED);
        for (int i = 0; i < 5; i++) {
            store.enqueue(e.id(), "msg_" + i, EventTypes.WEBHOOK_TEST, "{}", T0);
        }
        List<DueDelivery> first = store.claimDeliveries("node-a", 10, T0, T0.plus(LEASE));
        assertThat(first).hasSize(2);
        assertThat(first.getFirst().secrets()).extracting(DueDelivery.SealedSecret::sealed).containsExactly("v1.sealed");
        assertThat(store.claimDeliveries("node-b", 10, T0, T0.plus(LEASE))).as("the endpoint's two slots are taken").isEmpty();

        DueDelivery done = first.getFirst();
        AttemptResult ok = policy.decide(done, AttemptOutcome.of(200, null), T0, T0);
        assertThat(store.recordAttempt("node-b", ok)).as("only the lease holder writes the outcome").isFalse();
        assertThat(store.recordAttempt("node-a", ok)).isTrue();
        assertThat(store.recordAttempt("node-a", ok)).as("an outcome is written once").isFalse();
        List<DueDelivery> second = store.claimDeliveries("node-b", 10, T0, T0.plus(LEASE));
        assertThat(second).hasSize(1);
        assertThat(second.getFirst().delivery().id()).isNotIn(first.stream().map(x -> x.delivery().id()).toList());

        // node-a dies: its lease runs out and another node takes the delivery, the same message.
        Instant later = T0.plus(LEASE).plusSeconds(1);
        List<DueDelivery> taken = store.claimDeliveries("node-c", 10, later, later.plus(LEASE));
        assertThat(taken).extracting(x -> x.delivery().messageId()).contains(first.get(1).delivery().messageId());
        assertThat(store.recoverDeliveryLeases("node-c")).isEqualTo(taken.size());
    }

    @Test
    void failedAttemptsRescheduleThenDeadLetterAndAReplayKeepsTheWebhookId() {
        WebhookEndpoint e = endpoint(ACCOUNT, null, 4, EventTypes.JOB_COMPLETED);
        Delivery queued = store.enqueue(e.id(), "msg_replayed", EventTypes.WEBHOOK_TEST, "{\"type\":\"webhook.test\"}", T0);
        Instant now = T0;
        for (int i = 1; i <= DeliverySchedule.ATTEMPTS; i++) {
            List<DueDelivery> due = store.claimDeliveries("node-a", 1, now, now.plus(LEASE));
            assertThat(due).as("attempt %d", i).hasSize(1);
            AttemptResult r = policy.decide(due.getFirst(), AttemptOutcome.of(500, null), now, now);
            assertThat(store.recordAttempt("node-a", r)).isTrue();
            Delivery d = store.delivery(ACCOUNT, queued.id()).orElseThrow();
            assertThat(d.attempts()).isEqualTo(i);
            if (i < DeliverySchedule.ATTEMPTS) {
                assertThat(store.claimDeliveries("node-a", 1, now, now.plus(LEASE))).as("not due before its time").isEmpty();
                now = d.nextAttemptAt();
            }
        }
        Delivery dead = store.delivery(ACCOUNT, queued.id()).orElseThrow();
        assertThat(dead.status()).isEqualTo(Delivery.Status.DEAD);
        assertThat(store.claimDeliveries("node-a", 1, now.plus(Duration.ofDays(9)), now.plus(Duration.ofDays(10)))).isEmpty();
        assertThat(store.endpoint(ACCOUNT, e.id()).orElseThrow().failingSince()).isEqualTo(T0);
        assertThat(store.deliveries(new DeliveryQuery(ACCOUNT, e.id(), Delivery.Status.DEAD, null, null, null, 10))).extracting(Delivery::id)
                .containsExactly(queued.id());

        assertThat(store.replayDeliveries("acct_other", e.id(), List.of(), now)).as("another account replays nothing").isZero();
        assertThat(store.replayDeliveries(ACCOUNT, e.id(), List.of(queued.id()), now)).isEqualTo(1);
        assertThat(store.replayDeliveries(ACCOUNT, e.id(), List.of(queued.id()), now)).as("only dead letters replay").isZero();
        List<DueDelivery> again = store.claimDeliveries("node-b", 1, now, now.plus(LEASE));
        assertThat(again).hasSize(1);
        assertThat(again.getFirst().delivery().messageId()).isEqualTo("msg_replayed");
        assertThat(again.getFirst().delivery().attempts()).isZero();
        assertThat(store.recordAttempt("node-b", policy.decide(again.getFirst(), AttemptOutcome.of(204, null), now, now))).isTrue();
        assertThat(store.delivery(ACCOUNT, queued.id()).orElseThrow().status()).isEqualTo(Delivery.Status.DELIVERED);
        assertThat(store.attempts(queued.id())).extracting(Delivery.Attempt::number).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(store.endpoint(ACCOUNT, e.id()).orElseThrow().failingSince()).as("a success heals the endpoint").isNull();
    }

    @Test
    void aDisabledEndpointsDeliveriesWaitForItAndRotationOverlapsSecrets() {
        WebhookEndpoint e = endpoint(ACCOUNT, null, 4, EventTypes.JOB_COMPLETED);
        store.enqueue(e.id(), "msg_waits", EventTypes.WEBHOOK_TEST, "{}", T0);
        WebhookEndpoint off = store.updateEndpoint(e.withEnabled(false, "disabled by its owner", T0)).orElseThrow();
        assertThat(off.enabled()).isFalse();
        assertThat(off.disabledReason()).isEqualTo("disabled by its owner");
        assertThat(store.claimDeliveries("node-a", 10, T0, T0.plus(LEASE))).isEmpty();
        assertThat(store.nextDeliveryAt()).isEmpty();
        store.updateEndpoint(off.withEnabled(true, null, T0));
        assertThat(store.claimDeliveries("node-a", 10, T0, T0.plus(LEASE))).hasSize(1);

        store.rotateSecret(new DueDelivery.SealedSecret(e.id(), "whs_zz_new", "v1.new"), T0, T0.plus(Duration.ofHours(1)));
        assertThat(store.secrets(e.id(), T0.plusSeconds(10))).extracting(DueDelivery.SealedSecret::sealed).containsExactly("v1.new", "v1.sealed");
        assertThat(store.secrets(e.id(), T0.plus(Duration.ofHours(1)))).extracting(DueDelivery.SealedSecret::sealed).containsExactly("v1.new");
        assertThat(store.deleteEndpoint("acct_other", e.id())).isFalse();
        assertThat(store.deleteEndpoint(ACCOUNT, e.id())).isTrue();
        assertThat(store.endpoint(ACCOUNT, e.id())).isEmpty();
        assertThat(store.secrets(e.id(), T0)).isEmpty();
    }

    @Test
    void anInboundEventIsNotedOnceAndACallbackTokenIsUsedOnceBeforeItExpires() {
        assertThat(store.inboundJob("billing", "msg_1")).isEmpty();
        store.recordInbound("billing", "msg_1", "invoice.paid", "job_first", T0);
        store.recordInbound("billing", "msg_1", "invoice.paid", "job_second", T0);
        assertThat(store.inboundJob("billing", "msg_1")).contains("job_first");
        assertThat(store.inboundJob("crm", "msg_1")).isEmpty();

        Job job = job(ACCOUNT, "support/draft-response");
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, T0).from(JobStatus.PROCESSING).leasedBy("node-a").build())).isTrue();
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, T0).from(JobStatus.WAITING_FOR_TOOL).leasedBy("node-a").releaseLease()
                .event("callback_awaited", Json.object()).build())).isTrue();
        store.recordToolCall(new dev.mainstay.tool.ToolCall(job.id(), "transcribe", "transcriber", dev.mainstay.tool.ToolScope.READ, job.id() + "/transcribe",
                dev.mainstay.tool.ToolCall.Status.INTENT, Json.object(), null, null, null, null, T0));
        store.saveCallbackToken(new InboundStore.CallbackToken("hash_1", job.id(), 0, "transcribe", T0.plusSeconds(60), null));
        assertThat(store.expiredCallbacks(T0.plusSeconds(59), 10)).isEmpty();
        assertThat(store.expiredCallbacks(T0.plusSeconds(60), 10)).extracting(InboundStore.CallbackToken::jobId).containsExactly(job.id());

        JobTransition resume = JobTransition.to(job.id(), JobStatus.QUEUED, T0.plusSeconds(5)).from(JobStatus.WAITING_FOR_TOOL).nextRunAt(T0.plusSeconds(5))
                .releaseLease().event("callback_received", Json.object()).build();
        assertThat(store.useCallbackToken("hash_1", T0.plusSeconds(61), Json.object().put("text", "late"), resume)).as("expired").isFalse();
        assertThat(store.useCallbackToken("hash_1", T0.plusSeconds(5), Json.object().put("text", "hi"), resume)).isTrue();
        assertThat(store.useCallbackToken("hash_1", T0.plusSeconds(6), Json.object().put("text", "again"), resume)).as("a repeat").isFalse();
        assertThat(store.job(job.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(store.toolCall(job.id(), "transcribe").orElseThrow().status()).isEqualTo(dev.mainstay.tool.ToolCall.Status.DONE);
        assertThat(store.toolCall(job.id(), "transcribe").orElseThrow().response().path("text").asString()).isEqualTo("hi");
        assertThat(store.callbackToken("hash_1").orElseThrow().usedAt()).isEqualTo(T0.plusSeconds(5));

        // A token whose job no longer waits is not used: the whole callback rolls back.
        store.saveCallbackToken(new InboundStore.CallbackToken("hash_2", job.id(), 1, "other", T0.plusSeconds(60), null));
        assertThatThrownBy(() -> store.useCallbackToken("hash_2", T0.plusSeconds(7), Json.object(), resume)).isInstanceOf(StoreException.class);
        assertThat(store.callbackToken("hash_2").orElseThrow().usedAt()).isNull();
    }
}
