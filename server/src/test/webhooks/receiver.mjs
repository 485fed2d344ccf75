// A webhook receiver for Mainstay's tests, built on the Standard Webhooks reference library: every
// delivery it gets is verified with Webhook.verify, exactly as a user's receiver would do it.
//
// It listens on a free loopback port, prints {"port": N} on its first line, and is driven over
// HTTP by the test:
//   POST /_secrets  {"secrets": ["whsec_…", …]}   secrets a delivery may be signed with (any one verifies)
//   POST /_clock    {"now_ms": N}                   the time the library checks timestamps against (the test's clock)
//   POST /_script   {"answers": [A, …], "then": A}  how to answer the next deliveries, in order, then always `then`;
//                                                   A is {"status": 500, "retry_after": "30", "delay_ms": 100} or {"hang": true}
//   GET  /_received                                 every delivery so far, in arrival order
import http from "node:http";
import { Webhook } from "standardwebhooks";

let secrets = [];
let answers = [];
let then = { status: 200 };
let clockOffsetMs = 0;
const received = [];
const hanging = [];

const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffsetMs;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === "/_secrets" && req.method === "POST") {
    secrets = JSON.parse(body).secrets;
    return json(res, 200, { secrets: secrets.length });
  }
  if (req.url === "/_clock" && req.method === "POST") {
    clockOffsetMs = JSON.parse(body).now_ms - realNow();
    return json(res, 200, { now_ms: Date.now() });
  }
  if (req.url === "/_script" && req.method === "POST") {
    const script = JSON.parse(body);
    answers = script.answers ?? [];
    then = script.then ?? { status: 200 };
    return json(res, 200, { answers: answers.length });
  }
  if (req.url === "/_received" && req.method === "GET") {
    return json(res, 200, received);
  }

  const headers = {
    "webhook-id": req.headers["webhook-id"],
    "webhook-timestamp": req.headers["webhook-timestamp"],
    "webhook-signature": req.headers["webhook-signature"],
  };
  let verified = false;
  let error = null;
  let payload = null;
  let verifiedWith = null;
  for (let i = 0; i < secrets.length && !verified; i++) {
    try {
      payload = new Webhook(secrets[i]).verify(body, headers);
      verified = true;
      verifiedWith = i;
    } catch (e) {
      error = String(e.message ?? e);
    }
  }
  if (secrets.length === 0) {
    error = "the receiver has no secret";
  }
  const answer = answers.length > 0 ? answers.shift() : then;
  received.push({
    webhook_id: headers["webhook-id"] ?? null,
    webhook_timestamp: headers["webhook-timestamp"] ?? null,
    signature: headers["webhook-signature"] ?? null,
    signatures: (headers["webhook-signature"] ?? "").split(" ").filter((s) => s.length > 0).length,
    verified,
    verified_with: verifiedWith,
    error: verified ? null : error,
    type: payload?.type ?? null,
    job_id: payload?.data?.job_id ?? null,
    status: payload?.data?.status ?? null,
    body,
    received_at_ms: Date.now(),
    answered: answer.hang ? "hang" : answer.status,
  });
  if (answer.hang) {
    hanging.push(res); // never answered: the sender's timeout ends it
    return;
  }
  const extra = answer.retry_after ? { "retry-after": answer.retry_after } : {};
  const reply = () => {
    res.writeHead(verified ? answer.status : 400, { "content-type": "text/plain", ...extra });
    res.end(verified ? "ok" : "signature refused: " + error);
  };
  if (answer.delay_ms) {
    setTimeout(reply, answer.delay_ms);
  } else {
    reply();
  }
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
