// One peer job queue doing the queue benchmark's trivial job on PostgreSQL: N jobs submitted one
// by one by 64 concurrent callers (each submit its own transaction), completed by a worker that
// does nothing. Prints one JSON line: {"peer", "jobs", "seconds", "jobsPerSecond", "settings"}.
// Usage: node run.mjs <graphile-worker|pg-boss> <postgres connection string> <jobs> [settings JSON]
// The optional JSON overrides the settings below, to measure another configuration, e.g.
//   node run.mjs pg-boss postgres://... 10000 '{"batchSize":128}'
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import { PgBoss } from "pg-boss";

const [peer, connectionString, jobsArg, settingsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const SUBMITTERS = 64;
const WARM_UP = 2000;

// Each peer's settings for throughput, as its own documentation recommends (docs/benchmarks.md says
// where from and which alternatives were measured).
const DEFAULTS = {
  // graphile-worker's performance page ("Quick stats" and "With batching"): 24 concurrent jobs on a
  // pool of 25, a local queue of 500 jobs fetched and locked per round trip, and completions batched
  // with no added delay. The submitters add jobs through WorkerUtils with a pool of their own.
  "graphile-worker": {
    concurrentJobs: 24,
    maxPoolSize: 25,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    submitPoolSize: 20,
  },
  // pg-boss 12's worker options: one work() call whose local workers each fetch a batch and fetch
  // again at once while batches come back full (burstWhenBatchFull), on a queue that NOTIFYs its
  // listener when a job is created (queue notify + useListenNotify) so an idle worker wakes at once.
  "pg-boss": {
    batchSize: 64,
    localConcurrency: 4,
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
    poolSize: 20,
  },
};

async function submitAll(n, submit) {
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
    while (next < n) {
      const i = next++;
      await submit(i);
    }
  }));
}

async function until(check) {
  while (!check()) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Seconds from the first submit to the last completion of `jobs` jobs, after a warm-up. */
async function measure(submit, done) {
  const once = async (n) => {
    const target = done() + n;
    await submitAll(n, submit);
    await until(() => done() >= target);
  };
  await once(Math.min(WARM_UP, jobs));
  const t0 = process.hrtime.bigint();
  await once(jobs);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function graphile(s) {
  const logger = new Logger(() => () => {});
  const utils = await makeWorkerUtils({ connectionString, maxPoolSize: s.submitPoolSize, logger });
  await utils.migrate();
  let done = 0;
  const runner = await run({
    noHandleSignals: true,
    taskList: { noop: async () => { done++; } },
    preset: {
      worker: {
        connectionString,
        logger,
        concurrentJobs: s.concurrentJobs,
        maxPoolSize: s.maxPoolSize,
        localQueue: s.localQueue,
        completeJobBatchDelay: s.completeJobBatchDelay,
        failJobBatchDelay: s.failJobBatchDelay,
      },
    },
  });
  const seconds = await measure((i) => utils.addJob("noop", { text: "job " + i }), () => done);
  await runner.stop();
  await utils.release();
  return seconds;
}

async function pgboss(s) {
  const boss = new PgBoss({ connectionString, max: s.poolSize, useListenNotify: true });
  boss.on("error", (e) => console.error(e));
  await boss.start();
  await boss.createQueue("noop", { notify: true });
  let done = 0;
  await boss.work("noop", {
    batchSize: s.batchSize,
    localConcurrency: s.localConcurrency,
    burstWhenBatchFull: s.burstWhenBatchFull,
    pollingIntervalSeconds: s.pollingIntervalSeconds,
  }, async (batch) => { done += batch.length; });
  const seconds = await measure((i) => boss.send("noop", { text: "job " + i }), () => done);
  await boss.stop({ graceful: false, wait: false });
  return seconds;
}

if (!(peer in DEFAULTS)) {
  console.error("unknown peer " + peer + "; one of " + Object.keys(DEFAULTS).join(", "));
  process.exit(2);
}
const settings = { ...DEFAULTS[peer], ...(settingsArg ? JSON.parse(settingsArg) : {}) };
const seconds = peer === "graphile-worker" ? await graphile(settings) : await pgboss(settings);
console.log(JSON.stringify({ peer, jobs, seconds, jobsPerSecond: jobs / seconds, settings }));
process.exit(0);
