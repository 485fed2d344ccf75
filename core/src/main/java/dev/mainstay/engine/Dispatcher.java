package dev.mainstay.engine;

import dev.mainstay.job.Job;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import dev.mainstay.metrics.EngineMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims runnable jobs in batches under a lease and runs each on its own virtual thread; renews
 * the leases of running jobs; wakes early for work made due on any node; and on stop hands the
 * leases of unfinished jobs back to the queue. One per engine.
 */
final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** How often budget reservations left by calls that never settled are released. */
    private static final Duration SWEEP = Duration.ofSeconds(1);

    private final Store store;
    private final Clock clock;
    private final EngineConfig config;
    private final JobRunner runner;
    private final Completions completions;
    private final Map<String, Thread> running = new ConcurrentHashMap<>();
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean stopping;
    private volatile boolean started;
    private Thread dispatcher;
    private Thread heartbeat;

    private final EngineMetrics metrics;

    Dispatcher(Store store, Clock clock, EngineConfig config, EngineMetrics metrics, JobRunner runner, Completions completions) {
        this.metrics = metrics;
        this.store = store;
        this.clock = clock;
        this.config = config;
        this.runner = runner;
        this.completions = completions;
    }

    /** Looks for due work now rather than at the next poll. */
    void wake() {
        wake.release();
    }

    int runningCount() {
        return running.size();
    }

    /** Interrupts the job's worker if it runs on this node; an interrupted model call is abandoned. */
    void interrupt(String jobId) {
        Thread worker = running.get(jobId);
        if (worker != null) {
            worker.interrupt();
        }
    }

    synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        // Work made due by any node (a submit, a retry, a handed-back lease) wakes the dispatcher at
        // once instead of at its next poll; the poll stays as the backstop for lost wake-ups.
        store.onWork(wake::release);
        recoverLeases();
        dispatcher = Thread.ofPlatform().name("mainstay-dispatcher").daemon(true).start(this::dispatchLoop);
        heartbeat = Thread.ofVirtual().name("mainstay-heartbeat").start(this::heartbeatLoop);
        LOG.info("engine started as node {}", config.nodeId());
    }

    /**
     * Takes back at once the jobs and calls in flight an earlier run of this node left when it died,
     * rather than letting instant jobs miss their deadlines while its leases run out.
     */
    private void recoverLeases() {
        try {
            Store.Recovered r = store.recoverLeases(config.nodeId(), clock.instant());
            if (r.jobs() > 0 || r.unknownOutcomes() > 0) {
                LOG.info("node {} took back {} jobs left running by its previous run and charged {} calls that were in flight at their estimates",
                        config.nodeId(), r.jobs(), r.unknownOutcomes());
            }
        } catch (StoreException e) {
            // The database is away: those leases and reservations expire instead, as for a node that never returns.
            LOG.warn("node {} could not take back the leases of its previous run ({}); they will expire instead", config.nodeId(), e.getMessage());
        }
    }

    /**
     * Stops claiming, lets running jobs finish for the configured grace period, then interrupts the
     * rest and hands their leases back so the next start (of any node) resumes them at once.
     */
    synchronized void stop() {
        if (!started || stopping) {
            return;
        }
        stopping = true;
        wake.release();
        joinQuietly(dispatcher, Duration.ofSeconds(5));
        long graceEnd = System.nanoTime() + config.shutdownGrace().toNanos();
        while (!running.isEmpty() && System.nanoTime() < graceEnd) {
            sleepQuietly(Duration.ofMillis(20));
        }
        int interrupted = running.size();
        running.values().forEach(Thread::interrupt);
        long exitEnd = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!running.isEmpty() && System.nanoTime() < exitEnd) {
            sleepQuietly(Duration.ofMillis(10));
        }
        heartbeat.interrupt();
        try {
            int released = store.releaseLeases(config.nodeId(), clock.instant());
            LOG.info("engine stopped: {} running jobs interrupted, {} leases handed back to the queue", interrupted, released);
        } catch (StoreException e) {
            // The database is away: the leases run out on their own and another node takes the jobs then.
            LOG.warn("engine stopped: {} running jobs interrupted; their leases could not be handed back ({}) and will expire instead",
                    interrupted, e.getMessage());
        }
    }

    private void dispatchLoop() {
        long nextSweep = 0;
        while (!stopping) {
            try {
                if (System.nanoTime() - nextSweep >= 0) {
                    store.expireReservations(clock.instant());
                    nextSweep = System.nanoTime() + SWEEP.toNanos();
                }
                int free = config.maxInFlight() - running.size();
                if (free > 0) {
                    int want = Math.min(free, config.claimBatch());
                    Instant now = clock.instant();
                    List<Job> claimed = store.claim(config.nodeId(), want, now, now.plus(config.lease()), config.defaultLimits());
                    for (Job job : claimed) {
                        if (running.containsKey(job.id())) {
                            // Our own lease lapsed (a heartbeat failed) and we re-claimed the job:
                            // the worker that has it is still running and now holds the new lease.
                            continue;
                        }
                        EvalTraffic.metrics(metrics, job.accountId()).claimed(job.workflow(), job.workflowVersion(), Duration.between(dueSince(job), now));
                        Thread worker = Thread.ofVirtual().name("job-" + job.id()).unstarted(() -> work(job));
                        running.put(job.id(), worker);
                        worker.start();
                    }
                    if (claimed.size() == want) {
                        continue;
                    }
                }
                long sleep = config.idlePoll().toMillis();
                if (free > 0) {
                    Optional<Instant> due = store.nextDueAt();
                    if (due.isPresent()) {
                        sleep = Math.max(0, Math.min(sleep, Duration.between(clock.instant(), due.get()).toMillis() + 1));
                    }
                }
                if (sleep > 0 && wake.tryAcquire(sleep, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("dispatcher: claim failed, retrying in {}", config.idlePoll(), e);
                sleepQuietly(config.idlePoll());
            }
        }
    }

    /** Since when a claimed job was due: its retry's time when it waited for one, else its submit. */
    private static Instant dueSince(Job job) {
        return job.retryAt() != null && job.retryAt().isAfter(job.createdAt()) ? job.retryAt() : job.createdAt();
    }

    /** A worker: runs the job, then frees its slot, looks for more work and wakes the job's waiters. */
    private void work(Job job) {
        try {
            runner.run(job);
        } finally {
            running.remove(job.id());
            wake.release();
            completions.signal(job.id());
        }
    }

    private void heartbeatLoop() {
        Duration every = config.lease().dividedBy(3);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(every);
                if (!running.isEmpty()) {
                    store.extendLeases(config.nodeId(), List.copyOf(running.keySet()), clock.instant().plus(config.lease()));
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("heartbeat: extending leases failed; will try again in {}", every, e);
            }
        }
    }

    private static void joinQuietly(Thread t, Duration max) {
        try {
            t.join(max);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
