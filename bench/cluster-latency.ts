// Benchmark 6: cross-instance push latency on a Redis Cluster, beside one Redis in the same run. Three
// service instances (separate processes); grantPublish/revokePublish at a fixed rate on A, subscribers
// on B (a separate client process): latency from the mutation's response to the push's arrival. Each
// backend also yields the unit costs docs/SCALING.md builds on: service CPU per change on the writing
// instance, per push on the subscribing one, per event on an instance where nobody is affected (C), and
// Redis CPU per change (INFO commandstats and process CPU of the primaries).
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { readProcessEnv } from "../src/config/env.js";
import { startRedisCluster } from "../test/helpers/redis-cluster.js";
import { startRedis } from "../test/helpers/redis.js";
import { BENCH_ENV, machineLine, percentile, startLines, startProcess, type BenchProcess, type LineProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";

const env = readProcessEnv();
const mutations = sizeFromEnv(env, "BENCH_MUTATIONS", 2000);
const rate = sizeFromEnv(env, "BENCH_MUTATION_RATE", 500);
const users = 100;

const GRANT = "mutation($r: String!, $u: String!) { grantPublish(roomId: $r, userId: $u) { version } }";
const REVOKE = "mutation($r: String!, $u: String!) { revokePublish(roomId: $r, userId: $u) { version } }";

async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": BENCH_ENV.SERVICE_API_KEYS },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: unknown };
  if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
}

/** CPU time (user + system) of a process, in ms, from /proc. */
function cpuMs(proc: BenchProcess | number): number {
  const pid = typeof proc === "number" ? proc : proc.proc.pid;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Process CPU (ms, I/O included) of the redis-servers on `ports`. */
async function redisCpuMs(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    await c.connect();
    const pid = /process_id:(\d+)/.exec(await c.info("server"))?.[1];
    c.disconnect();
    total += cpuMs(Number(pid));
  }
  return total;
}

/** Calls and µs per command (INFO commandstats), summed over the given primaries. */
async function commandStats(ports: readonly number[]): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const port of ports) {
    const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    await c.connect();
    const info = await c.info("commandstats");
    c.disconnect();
    for (const m of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/g)) {
      const cur = stats.get(m[1]!) ?? { calls: 0, usec: 0 };
      stats.set(m[1]!, { calls: cur.calls + Number(m[2]), usec: cur.usec + Number(m[3]) });
    }
  }
  return stats;
}

/** Per change: calls and µs of each command that ran, from two commandstats readings. */
function perChange(before: Map<string, { calls: number; usec: number }>, after: Map<string, { calls: number; usec: number }>, changes: number) {
  const rows: Array<{ command: string; calls: number; usec: number }> = [];
  for (const [command, a] of after) {
    const b = before.get(command) ?? { calls: 0, usec: 0 };
    if (a.calls > b.calls) rows.push({ command, calls: (a.calls - b.calls) / changes, usec: (a.usec - b.usec) / changes });
  }
  return rows.sort((x, y) => y.usec - x.usec);
}

interface Result {
  readonly name: string;
  readonly achieved: number;
  readonly latencies: number[];
  readonly lost: number;
  readonly pushes: number;
  readonly cpuPerChangeA: number;
  readonly cpuPerPushB: number;
  readonly cpuPerEventC: number;
  readonly redisPerChange: number;
  readonly redisProcessPerChange: number;
  readonly commands: Array<{ command: string; calls: number; usec: number }>;
}

async function run(name: string, backendEnv: Record<string, string>, primaries: () => Promise<number[]>): Promise<Result> {
  const serverEnv = { ...BENCH_ENV, ...backendEnv, TOKEN_TTL_SECONDS: "3600" };
  const launch = () => startProcess("src/cli/start.ts", serverEnv);
  const [a, b, c] = await Promise.all([launch(), launch(), launch()]);
  let subs: LineProcess | undefined;
  let bystanders: LineProcess | undefined;
  try {
    subs = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: `${b.url.replace(/^http/, "ws")}/graphql`, SUBSCRIBERS: String(users), USER_OFFSET: "0", PUSHES: "1" });
    // Users in the same rooms on C whose privileges never change: C receives every event and pushes nothing.
    bystanders = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: `${c.url.replace(/^http/, "ws")}/graphql`, SUBSCRIBERS: String(users), USER_OFFSET: String(users), PUSHES: "1" });
    await Promise.all([subs.waitFor("connected"), bystanders.waitFor("connected")]);
    const s = subs;
    const roomOf = (i: number) => `bench-room-${i % 100}`;
    // Warm-up: every room written once, so the run measures steady state.
    for (let i = 0; i < users; i++) await gql(a.url, GRANT, { r: roomOf(i), u: `u${i}` });
    await new Promise((r) => setTimeout(r, 500));
    const granted = new Array<boolean>(users).fill(true);
    const latencies: number[] = [];
    const ports = await primaries();
    // Redis's own background work (cron, cluster bus, replication pings), measured idle and subtracted.
    const idle0 = await redisCpuMs(ports);
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const idlePerMs = ((await redisCpuMs(ports)) - idle0) / (performance.now() - idleStart);
    const [cpuA0, cpuB0, cpuC0, redis0, redisCpu0, lines0] = [cpuMs(a), cpuMs(b), cpuMs(c), await commandStats(ports), await redisCpuMs(ports), s.lines.length];
    const interval = 1000 / rate;
    const start = performance.now();
    const pending: Array<Promise<void>> = [];
    let lost = 0;
    for (let k = 0; k < mutations; k++) {
      const wait = start + k * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const i = k % users;
      const user = `u${i}`;
      const want = !granted[i];
      granted[i] = want;
      const from = s.lines.length;
      pending.push(
        gql(a.url, want ? GRANT : REVOKE, { r: roomOf(i), u: user }).then(async () => {
          const answered = Date.now();
          const end = answered + 2000;
          for (;;) {
            for (let j = from; j < s.lines.length; j++) {
              const l = s.lines[j]!;
              if (l["type"] === "push" && l["user"] === user && l["canPublish"] === want) {
                latencies.push(Math.max(0, Number(l["at"]) - answered));
                return;
              }
            }
            if (Date.now() > end) {
              lost++;
              return;
            }
            await new Promise((r) => setTimeout(r, 1));
          }
        }),
      );
    }
    await Promise.all(pending);
    const achieved = mutations / ((performance.now() - start) / 1000);
    await new Promise((r) => setTimeout(r, 200));
    const pushes = s.lines.length - lines0;
    const commands = perChange(redis0, await commandStats(ports), mutations);
    const busyMs = (await redisCpuMs(ports)) - redisCpu0 - idlePerMs * (performance.now() - start);
    const redisProcessPerChange = (Math.max(0, busyMs) * 1000) / mutations;
    const result: Result = {
      name,
      achieved,
      latencies: latencies.sort((x, y) => x - y),
      lost,
      pushes,
      cpuPerChangeA: ((cpuMs(a) - cpuA0) * 1000) / mutations,
      cpuPerPushB: ((cpuMs(b) - cpuB0) * 1000) / Math.max(1, pushes),
      cpuPerEventC: ((cpuMs(c) - cpuC0) * 1000) / mutations,
      redisPerChange: commands.reduce((sum, c) => sum + c.usec, 0),
      redisProcessPerChange,
      commands,
    };
    return result;
  } finally {
    await Promise.all([subs?.stop(), bystanders?.stop()]);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
}

const single = await startRedis();
const cluster = await startRedisCluster();
const results: Result[] = [];
try {
  const clusterPrimaries = async () => (await cluster.primaries()).map((p) => p.port);
  results.push(await run("one redis-server", { REDIS_URL: single.url, REDIS_PREFIX: "b1" }, async () => [single.port]));
  results.push(await run("cluster, 3 primaries + 3 replicas", { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "b2" }, clusterPrimaries));
  results.push(await run("cluster, REDIS_WAIT_REPLICAS=1", { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "b3", REDIS_WAIT_REPLICAS: "1" }, clusterPrimaries));
} finally {
  await Promise.all([single.stop(), cluster.stop()]);
}

console.log(`# cluster push latency: ${await machineLine()}`);
console.log(`# three instances (separate processes); ${users} subscribers on B in 100 rooms, ${users} more in the same rooms on C (never affected); grant/revoke on A at ${rate}/s, ${mutations} mutations per backend`);
console.log("| backend | achieved rate | response -> push p50 / p99 / max | not seen in 2 s | service CPU per change (A) | per push (B) | per event, nobody affected (C) | Redis per change: in commands / process CPU |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.achieved.toFixed(0)}/s | ${percentile(r.latencies, 50)} / ${percentile(r.latencies, 99)} / ${r.latencies.at(-1)} ms | ${r.lost} | ${r.cpuPerChangeA.toFixed(0)} µs | ${r.cpuPerPushB.toFixed(0)} µs | ${r.cpuPerEventC.toFixed(0)} µs | ${r.redisPerChange.toFixed(1)} / ${r.redisProcessPerChange.toFixed(0)} µs |`,
  );
}
console.log("\nRedis commands per change on the primaries (calls, µs):");
for (const r of results) console.log(`- ${r.name}: ${r.commands.map((c) => `${c.command} ${c.calls.toFixed(2)} (${c.usec.toFixed(1)} µs)`).join(", ")}`);
const clusterP99 = percentile(results[1]!.latencies, 99);
console.log(`\ncluster p99 = ${clusterP99} ms (goal <= 20 ms); one redis-server p99 = ${percentile(results[0]!.latencies, 99)} ms`);
