package dev.mainstay.bench;

import dev.mainstay.server.metrics.PrometheusMetrics;
import dev.mainstay.server.tracing.OtelTracer;
import dev.mainstay.tracing.JobTracer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The benchmarks that drive the engine in this process: queue, pickup and inflight. */
final class EngineBenches {
    private EngineBenches() {
    }

    static final int SUBMITTERS = 64;

    // ---- queue ---------------------------------------------------------------------------------

    static String queue(int jobs) throws Exception {
        if (Boolean.getBoolean("mainstay.bench.observability")) {
            return queueWithObservability(jobs, Integer.getInteger("mainstay.bench.observability.rounds", 3));
        }
        if (Boolean.getBoolean("mainstay.bench.metrics")) {
            return queueWithMetrics(jobs);
        }
        Table t = new Table("store", "jobs/s end to end", "ceiling rows/s (same run)", "engine / ceiling", "commits per job", "submit phase jobs/s",
                "CPU ms per job");
        for (Stores kind : Stores.available()) {
            Path dir = Files.createTempDirectory("mainstay-bench-queue");
            QueueRun r = measureQueue(kind, dir, jobs);
            double jps = r.jobsPerSecond();
            double commitsPerJob = r.commitsPerJob();
            double submitRate = r.submitRate();
            double ceiling = Ceiling.rowsPerSecond(kind, dir, jobs, 64);
            System.err.printf("queue %s: %.0f jobs/s, %.3f CPU ms/job, ceiling %.0f rows/s, %.2f commits/job%n", kind.label, jps,
                    r.cpuMillisPerJob(), ceiling, commitsPerJob);
            t.row(kind.label, Table.num(jps), Table.num(ceiling), Table.pct(jps / ceiling), Table.num(commitsPerJob), Table.num(submitRate),
                    String.format(java.util.Locale.ROOT, "%.3f", r.cpuMillisPerJob()));
            deleteTree(dir);
        }
        return "Jobs submitted by " + SUBMITTERS + " concurrent callers into a running engine; a one-stage workflow whose model answers at once "
                + "(in-process, no HTTP). " + jobs + " measured jobs after a warm-up. The ceiling: trivial rows inserted, claimed and completed "
                + "in batches of 64 through the same JDBC driver and durability, one commit per step. CPU ms per job: this process's CPU time "
                + "over the measured jobs (every thread), divided by the jobs.\n\n" + t.markdown();
    }

    /** @param cpuMillisPerJob this process's CPU time (every thread: engine, store, exporter, receiver) over the measured jobs, per job */
    record QueueRun(double jobsPerSecond, double commitsPerJob, double submitRate, double cpuMillisPerJob) {
    }

    /**
     * The queue benchmark with metrics off and on, in the same run and on the same store kind,
     * alternating (off, on, off, on) so that drift of the machine falls on both sides: what
     * counting every submit, claim, stage, call and commit, and a scrape every second, costs.
     */
    static String queueWithMetrics(int jobs) throws Exception {
        Table t = new Table("store", "metrics off jobs/s", "metrics on jobs/s", "on / off");
        for (Stores kind : Stores.available()) {
            double off = 0;
            double on = 0;
            for (int round = 0; round < 2; round++) {
                for (boolean metrics : new boolean[] {false, true}) {
                    Path dir = Files.createTempDirectory("mainstay-bench-queue");
                    PrometheusMetrics m = metrics ? new PrometheusMetrics() : null;
                    double jps = measureQueue(kind, dir, jobs, m).jobsPerSecond();
                    System.err.printf("queue %s metrics %s: %.0f jobs/s%n", kind.label, metrics ? "on" : "off", jps);
                    if (metrics) {
                        on += jps / 2;
                    } else {
                        off += jps / 2;
                    }
                    deleteTree(dir);
                }
            }
            t.row(kind.label, Table.num(off), Table.num(on), Table.pct(on / off));
        }
        return "The queue benchmark with metrics off and on (every engine and store metric recorded into a Prometheus registry, "
                + "and scraped once a second), alternating off, on, off, on; " + jobs + " measured jobs per run, the mean of two runs each.\n\n"
                + t.markdown();
    }

    /**
     * The queue benchmark with metrics and tracing both off, and both on (every metric into a
     * Prometheus registry scraped once a second; every span of every job exported over OTLP/HTTP
     * to a receiver on loopback, configured by the same {@code OTEL_*} variables a node reads),
     * alternating off, on, off, on… {@code rounds} times each; the median of each side.
     */
    static String queueWithObservability(int jobs, int rounds) throws Exception {
        Table t = new Table("store", "both off jobs/s (median)", "both on jobs/s (median)", "on / off", "runs off", "runs on",
                "CPU ms per job off / on (medians)", "CPU on / off", "OTLP bytes per job");
        for (Stores kind : Stores.available()) {
            List<Double> off = new ArrayList<>();
            List<Double> on = new ArrayList<>();
            List<Double> cpuOff = new ArrayList<>();
            List<Double> cpuOn = new ArrayList<>();
            double bytesPerJob = 0;
            for (int round = 0; round < rounds; round++) {
                for (boolean observed : new boolean[] {false, true}) {
                    Path dir = Files.createTempDirectory("mainstay-bench-queue");
                    try (SpanSink sink = observed ? SpanSink.start() : null) {
                        JobTracer tracer = observed ? OtelTracer.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint(),
                                "OTEL_SERVICE_NAME", "mainstay-bench")) : JobTracer.NONE;
                        QueueRun run;
                        try {
                            run = measureQueue(kind, dir, jobs, observed ? new PrometheusMetrics() : null, tracer);
                        } finally {
                            if (tracer instanceof AutoCloseable c) {
                                c.close(); // flushes: every span of the run reaches the receiver
                            }
                        }
                        double jps = run.jobsPerSecond();
                        if (observed) {
                            bytesPerJob = sink.bytes() / (double) (jobs + Math.max(2_000, jobs / 10));
                            on.add(jps);
                            cpuOn.add(run.cpuMillisPerJob());
                        } else {
                            off.add(jps);
                            cpuOff.add(run.cpuMillisPerJob());
                        }
                        System.err.printf("queue %s observability %s: %.0f jobs/s, %.3f CPU ms/job%s%n", kind.label, observed ? "on" : "off", jps,
                                run.cpuMillisPerJob(),
                                observed ? String.format(" (%d OTLP requests, %d bytes)", sink.requests(), sink.bytes()) : "");
                    }
                    deleteTree(dir);
                }
            }
            double medianOff = median(off);
            double medianOn = median(on);
            t.row(kind.label, Table.num(medianOff), Table.num(medianOn), Table.pct(medianOn / medianOff), runs(off), runs(on),
                    String.format(java.util.Locale.ROOT, "%.3f / %.3f", median(cpuOff), median(cpuOn)), Table.pct(median(cpuOn) / median(cpuOff)), Table.num(bytesPerJob));
        }
        return "The queue benchmark with metrics and tracing both off, and both on: every engine and store metric recorded into a Prometheus "
                + "registry scraped once a second, and every job's spans (submit, stage, model call) exported with OpenTelemetry's batch "
                + "processor over OTLP/HTTP protobuf to a receiver on loopback in the same process. Alternating off, on, " + rounds
                + " times each; " + jobs + " measured jobs per run after a warm-up; the median of each side. CPU ms per job: this process's "
                + "CPU time over the measured jobs (engine, store, exporter and receiver alike), which other work on the machine moves less "
                + "than jobs/s.\n\n" + t.markdown();
    }

    /** CPU time of this process so far: what a run costs whatever else the machine runs beside it. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String runs(List<Double> xs) {
        return String.join(", ", xs.stream().map(Table::num).toList());
    }

    /** Jobs per second end to end on a fresh store of {@code kind}, after a warm-up. */
    static QueueRun measureQueue(Stores kind, Path dir, int jobs) throws InterruptedException {
        return measureQueue(kind, dir, jobs, null);
    }

    /** @param metrics a registry the run reports to and scrapes once a second, or {@code null} for none */
    static QueueRun measureQueue(Stores kind, Path dir, int jobs, PrometheusMetrics metrics) throws InterruptedException {
        return measureQueue(kind, dir, jobs, metrics, JobTracer.NONE);
    }

    static QueueRun measureQueue(Stores kind, Path dir, int jobs, PrometheusMetrics metrics, JobTracer tracer) throws InterruptedException {
        try (Rig rig = new Rig(kind.open(dir), dir, Duration.ZERO, 2_000, 64, metrics, tracer)) {
            rig.engine.start();
            Thread scraper = metrics == null ? null : Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        metrics.scrape();
                        Thread.sleep(1_000);
                    }
                } catch (InterruptedException e) {
                    // the run is over
                }
            });
            submitAll(rig, Math.max(2_000, jobs / 10), 0); // warm-up: JIT, caches, file growth
            if (!rig.awaitDrained(Duration.ofMinutes(5))) {
                throw new IllegalStateException("warm-up jobs did not finish");
            }
            long c0 = rig.store.commitCount();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            long submitted = submitAll(rig, jobs, 1_000_000);
            if (!rig.awaitDrained(Duration.ofMinutes(10))) {
                throw new IllegalStateException("jobs did not finish within 10 minutes");
            }
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            if (scraper != null) {
                scraper.interrupt();
            }
            return new QueueRun(jobs / ((t1 - t0) / 1e9), (rig.store.commitCount() - c0) / (double) jobs, jobs / ((submitted - t0) / 1e9),
                    (cpu1 - cpu0) / 1e6 / jobs);
        }
    }

    /** Submits {@code n} jobs from {@link #SUBMITTERS} virtual threads; returns when the last submit returned (nanoTime). */
    static long submitAll(Rig rig, int n, long base) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int s = 0; s < SUBMITTERS; s++) {
                pool.submit(() -> {
                    long i;
                    while ((i = next.getAndIncrement()) < n) {
                        rig.submit(base + i);
                    }
                    return null;
                });
            }
        }
        return System.nanoTime();
    }

    // ---- pickup --------------------------------------------------------------------------------

    static String pickup(int samples) throws Exception {
        Table t = new Table("store", "durable → model call p50", "p99", "submit start → model call p50", "p99", "submit (durable) p50");
        for (Stores kind : Stores.available()) {
            Path dir = Files.createTempDirectory("mainstay-bench-pickup");
            try (Rig rig = new Rig(kind.open(dir), dir, Duration.ZERO, 2_000, 64)) {
                rig.engine.start();
                long[] queued = new long[samples];
                long[] total = new long[samples];
                long[] submit = new long[samples];
                for (int i = -20; i < samples; i++) { // the first 20 warm up
                    if (!rig.awaitDrained(Duration.ofSeconds(30))) {
                        throw new IllegalStateException("a pickup job did not finish");
                    }
                    Thread.sleep(30 + (i & 7)); // the dispatcher is idle, waiting
                    CountDownLatch called = new CountDownLatch(1);
                    AtomicLong at = new AtomicLong();
                    rig.onCall = now -> {
                        at.compareAndSet(0, now);
                        called.countDown();
                    };
                    long s0 = System.nanoTime();
                    rig.submit(i + 1_000_000L);
                    long s1 = System.nanoTime();
                    if (!called.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("a submitted job was not picked up within 10 s");
                    }
                    if (i >= 0) {
                        queued[i] = Math.max(0, at.get() - s1);
                        total[i] = at.get() - s0;
                        submit[i] = s1 - s0;
                    }
                }
                t.row(kind.label, Table.ms(pct(queued, 50)), Table.ms(pct(queued, 99)), Table.ms(pct(total, 50)), Table.ms(pct(total, 99)), Table.ms(pct(submit, 50)));
                System.err.printf("pickup %s: p50 %.2f ms p99 %.2f ms%n", kind.label, pct(queued, 50) / 1e6, pct(queued, 99) / 1e6);
            }
            deleteTree(dir);
        }
        return samples + " single jobs, each submitted into an idle engine (30-37 ms after the previous one finished). "
                + "\"durable → model call\" runs from the moment submit returned (the job is committed) to the moment the model is called, "
                + "which is after the claim committed; \"submit start\" adds the submit's own commit.\n\n" + t.markdown();
    }

    static long pct(long[] v, int p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    // ---- inflight ------------------------------------------------------------------------------

    static String inflight(int inFlight, int jobs, Duration latency) throws Exception {
        Stores kind = Stores.SQLITE_FULL;
        Path dir = Files.createTempDirectory("mainstay-bench-inflight");
        Table t = new Table("metric", "value");
        try (Rig rig = new Rig(kind.open(dir), dir, latency, inFlight, 64)) {
            long p0 = System.nanoTime();
            submitAll(rig, jobs, 0); // queued before the engine starts
            double preSubmit = jobs / ((System.nanoTime() - p0) / 1e9);
            var memory = ManagementFactory.getMemoryMXBean();
            long peakHeap = 0;
            int peakRunning = 0;
            List<long[]> samples = new ArrayList<>(); // time, answered, running
            long t0 = System.nanoTime();
            rig.engine.start();
            long allClaimedAt = 0;
            while (rig.answered.get() < jobs && System.nanoTime() - t0 < TimeUnit.MINUTES.toNanos(5)) {
                Thread.sleep(100);
                long now = System.nanoTime();
                samples.add(new long[] {now, rig.answered.get(), rig.engine.runningCount()});
                peakHeap = Math.max(peakHeap, memory.getHeapMemoryUsage().getUsed());
                peakRunning = Math.max(peakRunning, rig.engine.runningCount());
                if (allClaimedAt == 0 && rig.calls.get() >= jobs) {
                    allClaimedAt = now;
                }
            }
            if (!rig.awaitDrained(Duration.ofMinutes(2))) {
                throw new IllegalStateException("inflight jobs did not finish");
            }
            long end = System.nanoTime();
            // Steady state: from one latency after start (the first wave answering) to the moment
            // the last queued job was claimed (after it, fewer than inFlight can be running).
            long from = t0 + latency.toNanos() + latency.toNanos() / 4;
            long to = allClaimedAt == 0 ? end : allClaimedAt;
            long a0 = answeredAt(samples, from);
            long a1 = answeredAt(samples, to);
            double steady = (a1 - a0) / ((to - from) / 1e9);
            double ideal = inFlight / (latency.toNanos() / 1e9);
            double overall = jobs / ((end - t0) / 1e9);
            long rss = Proc.rssKb(ProcessHandle.current().pid());
            long hwm = Proc.hwmKb(ProcessHandle.current().pid());
            t.row("jobs (queued before start)", jobs);
            t.row("max in flight / model latency", inFlight + " / " + latency.toMillis() + " ms");
            t.row("Little's-law ideal", Table.num(ideal) + " jobs/s");
            t.row("steady-state throughput", Table.num(steady) + " jobs/s (" + Table.pct(steady / ideal) + " of ideal)");
            t.row("whole run incl. ramp-up and drain", Table.num(overall) + " jobs/s in " + String.format("%.1f s", (end - t0) / 1e9));
            t.row("peak running jobs", peakRunning);
            t.row("peak heap used (sampled every 100 ms)", (peakHeap >> 20) + " MB of max " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
            t.row("RSS at end / peak (VmHWM)", (rss >> 10) + " MB / " + (hwm >> 10) + " MB");
            t.row("pre-submit rate (engine stopped)", Table.num(preSubmit) + " jobs/s");
            System.err.printf("inflight: steady %.0f jobs/s of %.0f ideal, peak heap %d MB%n", steady, ideal, peakHeap >> 20);
        }
        deleteTree(dir);
        return jobs + " jobs queued, then one engine on " + kind.label + " with max_in_flight " + inFlight + " and a model that answers after "
                + latency.toMillis() + " ms (in-process, a sleeping virtual thread per call).\n\n" + t.markdown();
    }

    private static long answeredAt(List<long[]> samples, long time) {
        long v = 0;
        for (long[] s : samples) {
            if (s[0] <= time) {
                v = s[1];
            }
        }
        return v;
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
