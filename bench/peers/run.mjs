// One peer job queue doing the queue benchmark's trivial job on PostgreSQL: N jobs submitted one
// by one by 64 concurrent callers (each submit its own transaction), completed by a worker that
// does nothing. Prints one JSON line: {"peer", "jobs", "seconds", "jobsPerSecond"}.
// Usage: node run.mjs <graphile-worker|pg-boss> <postgres connection string> <jobs>
import { makeWorkerUtils, run } from "graphile-worker";
import PgBoss from "pg-boss";

const [peer, connectionString, jobsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const SUBMITTERS = 64;

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

async function graphile() {
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  let done = 0;
  const runner = await run({
    connectionString, concurrency: SUBMITTERS, maxPoolSize: 20, noHandleSignals: true, pollInterval: 500,
    logger: new (await import("graphile-worker")).Logger(() => () => {}),
    taskList: { noop: async () => { done++; } },
  });
  const once = async (n) => {
    const target = done + n;
    await submitAll(n, (i) => utils.addJob("noop", { text: "job " + i }));
    await until(() => done >= target);
  };
  await once(Math.min(2000, jobs)); // warm-up
  const t0 = process.hrtime.bigint();
  await once(jobs);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await runner.stop();
  await utils.release();
  return seconds;
}

async function pgboss() {
  const boss = new PgBoss({ connectionString, max: 20 });
  boss.on("error", (e) => console.error(e));
  await boss.start();
  await boss.createQueue("noop");
  let done = 0;
  for (let w = 0; w < 4; w++) {
    await boss.work("noop", { batchSize: 16, pollingIntervalSeconds: 0.5 }, async (batch) => { done += batch.length; });
  }
  const once = async (n) => {
    const target = done + n;
    await submitAll(n, (i) => boss.send("noop", { text: "job " + i }));
    await until(() => done >= target);
  };
  await once(Math.min(2000, jobs)); // warm-up
  const t0 = process.hrtime.bigint();
  await once(jobs);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await boss.stop({ graceful: false, wait: false });
  return seconds;
}

const seconds = peer === "graphile-worker" ? await graphile() : peer === "pg-boss" ? await pgboss() : null;
if (seconds === null) {
  console.error("unknown peer " + peer);
  process.exit(2);
}
console.log(JSON.stringify({ peer, jobs, seconds, jobsPerSecond: jobs / seconds }));
process.exit(0);
