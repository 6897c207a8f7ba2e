// Benchmark 6: cross-instance push latency on a Redis Cluster, beside one Redis in the same run. Three
// service instances (separate processes); grantPublish/revokePublish at a fixed rate on A, subscribers
// on B (a separate client process): latency from the mutation's response to the push's arrival. Each
// backend also yields the unit costs docs/SCALING.md builds on: service CPU per change on the writing
// instance, per push on the subscribing one, per event on an instance where nobody is affected (C), and
// Redis CPU per change (INFO commandstats and process CPU of the primaries).
import { Redis } from "ioredis";
import { readProcessEnv } from "../src/config/env.js";
import { startRedisCluster } from "../test/helpers/redis-cluster.js";
import { startRedis } from "../test/helpers/redis.js";
import { BENCH_ENV, SERVICE_ENTRY, cpuMs, settingsLine, machineLine, percentile, startLines, startProcess, gql } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const mutations = sizeFromEnv(env, "BENCH_MUTATIONS", 500);
const rounds = sizeFromEnv(env, "BENCH_ROUNDS", 4);
const rate = sizeFromEnv(env, "BENCH_MUTATION_RATE", 500);
const users = 100;

const GRANT = "mutation($r: String!, $u: String!) { grantPublish(roomId: $r, userId: $u) { version } }";
const REVOKE = "mutation($r: String!, $u: String!) { revokePublish(roomId: $r, userId: $u) { version } }";



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

interface Totals {
  readonly name: string;
  readonly latencies: number[];
  readonly roundP99: number[];
  mutations: number;
  seconds: number;
  lost: number;
  pushes: number;
  cpuA: number;
  cpuB: number;
  cpuC: number;
  redisCpu: number;
  commands: Map<string, { calls: number; usec: number }>;
}

interface Backend {
  readonly totals: Totals;
  /** Runs `count` grant/revoke mutations at `rate` and adds to the totals. */
  round(count: number, idleRedisPerMs: number): Promise<void>;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

async function setUp(name: string, backendEnv: Record<string, string>, ports: readonly number[]): Promise<Backend> {
  const serverEnv = { ...BENCH_ENV, ...backendEnv, TOKEN_TTL_SECONDS: "3600" };
  const launch = () => startProcess(SERVICE_ENTRY, serverEnv);
  const [a, b, c] = await Promise.all([launch(), launch(), launch()]);
  const subs = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: `${b.url.replace(/^http/, "ws")}/graphql`, SUBSCRIBERS: String(users), USER_OFFSET: "0", PUSHES: "1" });
  // Users in the same rooms on C whose privileges never change: C receives every event and pushes nothing.
  const bystanders = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: `${c.url.replace(/^http/, "ws")}/graphql`, SUBSCRIBERS: String(users), USER_OFFSET: String(users), PUSHES: "1" });
  await Promise.all([subs.waitFor("connected"), bystanders.waitFor("connected")]);
  const roomOf = (i: number) => `bench-room-${i % 100}`;
  // Warm-up: every room written once, so the rounds measure steady state.
  for (let i = 0; i < users; i++) await gql(a.url, GRANT, { r: roomOf(i), u: `u${i}` });
  const granted = new Array<boolean>(users).fill(true);
  const totals: Totals = { name, latencies: [], roundP99: [], mutations: 0, seconds: 0, lost: 0, pushes: 0, cpuA: 0, cpuB: 0, cpuC: 0, redisCpu: 0, commands: new Map() };
  let k = 0;
  return {
    totals,
    ports,
    async round(count, idleRedisPerMs) {
      const [cpuA0, cpuB0, cpuC0, stats0, redis0, lines0] = [cpuMs(a.proc.pid), cpuMs(b.proc.pid), cpuMs(c.proc.pid), await commandStats(ports), await redisCpuMs(ports), subs.lines.length];
      const latencies: number[] = [];
      const interval = 1000 / rate;
      const start = performance.now();
      const pending: Array<Promise<void>> = [];
      const inFlight: Array<Promise<void> | undefined> = [];
      for (let n = 0; n < count; n++, k++) {
        const wait = start + n * interval - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const i = k % users;
        const user = `u${i}`;
        const want = !granted[i];
        granted[i] = want;
        // A game server sends a user's next change after the previous one was answered: two changes of
        // one user in flight at once may commit in either order, and the push would follow the last.
        const sent = (inFlight[i] ?? Promise.resolve()).then(() => {
          const expected = subs.expectPush(user, want);
          return gql(a.url, want ? GRANT : REVOKE, { r: roomOf(i), u: user }).then(() => expected);
        });
        inFlight[i] = sent.then(
          () => undefined,
          () => undefined,
        );
        pending.push(
          sent.then(async (expected) => {
            const answered = Date.now();
            const at = await expected.arrived(2000);
            if (at === undefined) totals.lost++;
            else latencies.push(Math.max(0, at - answered));
          }),
        );
      }
      await Promise.all(pending);
      const elapsed = performance.now() - start;
      await new Promise((r) => setTimeout(r, 100));
      const stats1 = await commandStats(ports);
      for (const [command, after] of stats1) {
        const before = stats0.get(command) ?? { calls: 0, usec: 0 };
        const cur = totals.commands.get(command) ?? { calls: 0, usec: 0 };
        totals.commands.set(command, { calls: cur.calls + after.calls - before.calls, usec: cur.usec + after.usec - before.usec });
      }
      totals.redisCpu += Math.max(0, (await redisCpuMs(ports)) - redis0 - idleRedisPerMs * (performance.now() - start));
      totals.cpuA += cpuMs(a.proc.pid) - cpuA0;
      totals.cpuB += cpuMs(b.proc.pid) - cpuB0;
      totals.cpuC += cpuMs(c.proc.pid) - cpuC0;
      totals.pushes += subs.lines.length - lines0;
      totals.mutations += count;
      totals.seconds += elapsed / 1000;
      latencies.sort((x, y) => x - y);
      totals.roundP99.push(percentile(latencies, 99));
      totals.latencies.push(...latencies);
    },
    async stop() {
      await Promise.all([subs.stop(), bystanders.stop()]);
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    },
  };
}

/** Redis process CPU per ms while every instance is connected and idle (cron, cluster bus, pings). */
async function idleRedis(ports: readonly number[]): Promise<number> {
  const before = await redisCpuMs(ports);
  const start = performance.now();
  await new Promise((r) => setTimeout(r, 2000));
  return ((await redisCpuMs(ports)) - before) / (performance.now() - start);
}

const single = await startRedis();
const cluster = await startRedisCluster();
const backends: Backend[] = [];
try {
  const clusterPorts = (await cluster.primaries()).map((p) => p.port);
  backends.push(await setUp("one redis-server", { REDIS_URL: single.url, REDIS_PREFIX: "b1" }, [single.port]));
  backends.push(await setUp("cluster, 3 primaries + 3 replicas", { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "b2" }, clusterPorts));
  backends.push(await setUp("cluster, REDIS_WAIT_REPLICAS=1", { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "b3", REDIS_WAIT_REPLICAS: "1" }, clusterPorts));
  const [idleSingle, idleCluster] = [await idleRedis([single.port]), await idleRedis(clusterPorts)];
  // Interleaved rounds, so a stall of the shared machine hits one round of one backend, not a whole backend.
  for (let r = 0; r < rounds; r++) {
    for (const [i, backend] of backends.entries()) await backend.round(mutations, i === 0 ? idleSingle : idleCluster);
  }
} finally {
  await Promise.all(backends.map((b) => b.stop()));
  await Promise.all([single.stop(), cluster.stop()]);
}

const us = (ms: number, per: number) => `${((ms * 1000) / Math.max(1, per)).toFixed(0)} µs`;
console.log(`# cluster push latency: ${await machineLine()}`);
console.log(`# three instances per backend (separate processes); ${users} subscribers on B in 100 rooms, ${users} more in the same rooms on C (never affected);`);
console.log(`# grant/revoke on A at ${rate}/s; ${rounds} rounds of ${mutations} per backend, interleaved`);
console.log(settingsLine({ ...BENCH_ENV, TOKEN_TTL_SECONDS: "3600" }));
console.log("| backend | achieved rate | response -> push p50 / p99 / max | p99 per round | not seen in 2 s | service CPU per change (A) | per push (B) | per event, nobody affected (C) | Redis per change: in commands / process CPU |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const { totals: t } of backends) {
  const sorted = [...t.latencies].sort((x, y) => x - y);
  const inCommands = [...t.commands.values()].reduce((sum, c) => sum + c.usec, 0) / t.mutations;
  console.log(
    `| ${t.name} | ${(t.mutations / t.seconds).toFixed(0)}/s | ${percentile(sorted, 50)} / ${percentile(sorted, 99)} / ${sorted.at(-1)} ms | ${t.roundP99.join(", ")} ms | ${t.lost} | ${us(t.cpuA, t.mutations)} | ${us(t.cpuB, t.pushes)} | ${us(t.cpuC, t.mutations)} | ${inCommands.toFixed(1)} / ${us(t.redisCpu, t.mutations)} |`,
  );
}
console.log("\nRedis commands per change on the primaries (calls, µs):");
for (const { totals: t } of backends) {
  const rows = [...t.commands.entries()].filter(([, c]) => c.calls > 0).sort((x, y) => y[1].usec - x[1].usec);
  console.log(`- ${t.name}: ${rows.map(([command, c]) => `${command} ${(c.calls / t.mutations).toFixed(2)} (${(c.usec / t.mutations).toFixed(1)} µs)`).join(", ")}`);
}
const p99 = (i: number) => percentile([...backends[i]!.totals.latencies].sort((x, y) => x - y), 99);
console.log("");
report("cluster-latency", { clusterP99Ms: p99(1), clusterWaitP99Ms: p99(2), oneRedisP99Ms: p99(0) }, [
  { name: "response -> push p99 on a Redis Cluster at the mutation rate (ms)", kind: "max", bound: 20, value: p99(1) },
]);
