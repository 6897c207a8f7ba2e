// Benchmark 4: two instances and one Redis. grantPublish/revokePublish at a fixed rate on A with the
// subscribers on B: latency from the mutation's response to the push's arrival. (Turn changes in a large
// room: bench/turn-change.ts.) Subscribers live in a separate client process; this process sends the
// mutations.
import { readProcessEnv } from "../src/config/env.js";
import { startRedis } from "../test/helpers/redis.js";
import { BENCH_ENV, SERVICE_ENTRY, settingsLine, machineLine, percentile, startLines, startProcess, type LineProcess, gql } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const mutations = sizeFromEnv(env, "BENCH_MUTATIONS", 1000);
const rate = sizeFromEnv(env, "BENCH_MUTATION_RATE", 500);
const users = 100;

const GRANT = "mutation($r: String!, $u: String!) { grantPublish(roomId: $r, userId: $u) { version } }";
const REVOKE = "mutation($r: String!, $u: String!) { revokePublish(roomId: $r, userId: $u) { version } }";


const redis = await startRedis();
const redisEnv = { ...BENCH_ENV, REDIS_URL: redis.url, TOKEN_TTL_SECONDS: "3600" };
const [a, b] = await Promise.all([startProcess(SERVICE_ENTRY, redisEnv), startProcess(SERVICE_ENTRY, redisEnv)]);
const wsB = `${b.url.replace(/^http/, "ws")}/graphql`;
const clients: LineProcess[] = [];
try {
  // (a) Subscribers on B, one room per 10 users.
  const subs = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: wsB, SUBSCRIBERS: String(users), USER_OFFSET: "0", PUSHES: "1" });
  clients.push(subs);
  await subs.waitFor("connected");
  const roomOf = (i: number) => `bench-room-${i % 100}`;
  const latencies: number[] = [];
  const granted = new Array<boolean>(users).fill(false);
  const interval = 1000 / rate;
  const start = performance.now();
  const pending: Array<Promise<void>> = [];
  let lost = 0;
  for (let k = 0; k < mutations; k++) {
    const due = start + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const i = k % users;
    const user = `u${i}`;
    const want = !granted[i];
    granted[i] = want;
    const expected = subs.expectPush(user, want);
    pending.push(
      gql(a.url, want ? GRANT : REVOKE, { r: roomOf(i), u: user }).then(async () => {
        const answered = Date.now();
        const at = await expected.arrived(2000);
        if (at === undefined) lost++;
        else latencies.push(Math.max(0, at - answered));
      }),
    );
  }
  await Promise.all(pending);
  const achieved = mutations / ((performance.now() - start) / 1000);
  latencies.sort((x, y) => x - y);

  console.log(`# cross-instance pushes: ${await machineLine()}`);
  console.log(`# two instances (separate processes) + one redis-server; subscribers in separate client processes`);
  console.log(settingsLine(redisEnv));
  console.log("| measure | value |");
  console.log("|---|---:|");
  console.log(`| grant/revoke on A, subscribers on B: mutations, achieved rate | ${mutations}, ${achieved.toFixed(0)}/s |`);
  console.log(`| response -> push latency p50 / p99 / max | ${percentile(latencies, 50)} / ${percentile(latencies, 99)} / ${latencies.at(-1)} ms |`);
  console.log(`| pushes not seen within 2 s | ${lost} |`);
  console.log("");
  report("cross-instance", { mutations, achievedPerSecond: achieved, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) ?? Number.NaN, lost }, [
    { name: "response -> push latency p99, subscribers on another instance (ms)", kind: "max", bound: 20, value: percentile(latencies, 99) },
    { name: "pushes not seen within 2 s", kind: "max", bound: 0, value: lost },
  ]);
} finally {
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all([a.stop(), b.stop()]);
  await redis.stop();
}
