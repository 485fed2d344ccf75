// A client written against the types openapi-typescript generates from Mainstay's OpenAPI
// document (generated/api.d.ts): it compiles only if the document describes the workflow's input
// and its job envelope, and running it submits one job to a live node.
import type { components, paths } from "./generated/api";

declare const process: { argv: string[]; exitCode: number };

type Submit = paths["/v1/briefs/extract-key-points"]["post"];
type Input = Submit["requestBody"]["content"]["application/json"];
type Accepted = Submit["responses"]["202"]["content"]["application/json"];
type Status = components["schemas"]["Job"]["status"];

const [base, key] = process.argv.slice(2);
const input: Input = {
  document: "Mainstay runs each AI feature as a durable job. Jobs survive restarts.",
  max_points: 2,
};
const res = await fetch(`${base}/v1/briefs/extract-key-points`, {
  method: "POST",
  headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "Idempotency-Key": "typed-client-1" },
  body: JSON.stringify(input),
});
const job: Accepted = await res.json();
const status: Status = job.status;
const points: string[] | undefined = job.result?.points;
console.log(JSON.stringify({ http: res.status, id: job.id, status, points: points ?? null }));
if (res.status !== 200 && res.status !== 202) {
  process.exitCode = 1;
}
