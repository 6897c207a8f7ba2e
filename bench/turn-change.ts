// Benchmark: a turn change in a room of N subscribed users (`setPublishers` giving all of them the mic,
// then none, then all): time from sending the mutation to the last user receiving the new token. Three
// set-ups in one run: one instance in memory mode, one instance on Redis, two instances on Redis (half the
// users on each, the mutation sent to one of them). Subscribers live in separate client processes (one
// per instance); this process sends the mutations and reads the clients' push times (one clock).
// BENCH_CPU_PROFILE=1 writes the instances' CPU profiles to /tmp/zts-prof.
import { readProcessEnv } from "../src/config/env.js";
import { startRedis } from "../test/helpers/redis.js";
import { BENCH_ENV, SERVICE_ENTRY, cpuMs, gql, settingsLine, machineLine, percentile, startLines, startProcess, type BenchProcess, type LineProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const roomSize = sizeFromEnv(env, "BENCH_ROOM_SIZE", 1000);
const turns = sizeFromEnv(env, "BENCH_TURNS", 9);
// Turns run first and not counted: the instances' JIT warms up on the push path, as in a long-running service.
const warmupTurns = 2;
const profile = [...(env["BENCH_CPU_PROFILE"] === "1" ? ["--cpu-prof", "--cpu-prof-dir=/tmp/zts-prof"] : []), ...(env["BENCH_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "")];
const GOAL_MS = 50;

// One address sends every subscriber: a deployment behind a proxy raises the per-IP caps like this.
const LIMITS = { MAX_CONNECTIONS_PER_IP: String(roomSize * 2), TOKEN_TTL_SECONDS: "3600" } as const;
const SET = "mutation($r: String!, $p: [PublisherInput!]!) { setPublishers(roomId: $r, publishers: $p) { version } }";

const setPublishers = (url: string, room: string, publishers: ReadonlyArray<{ userId: string }>) => gql(url, SET, { r: room, p: publishers });

/** CPU used during the turns, µs per push delivered: by the instances and by the client processes. */
interface TurnCpu {
  serverUsPerPush: number;
  clientUsPerPush: number;
}
const cpu: Record<string, TurnCpu> = {};

/** Runs the turns against instances that already exist; returns send -> last push per turn (ms). */
async function measure(instances: readonly BenchProcess[], room: string): Promise<number[]> {
  const per = Math.ceil(roomSize / instances.length);
  const clients: LineProcess[] = instances.map((inst, k) =>
    startLines("bench/clients/subscribers.ts", {
      ...BENCH_ENV,
      WS_URLS: `${inst.url.replace(/^http/, "ws")}/graphql`,
      SUBSCRIBERS: String(per),
      USER_OFFSET: String(k * per),
      ROOM: room,
      PUSHES: "turns",
    }, { nodeArgs: env["BENCH_CLIENT_PROFILE"] === "1" ? ["--cpu-prof", "--cpu-prof-dir=/tmp/zts-client-prof"] : [] }),
  );
  try {
    await Promise.all(clients.map((c) => c.waitFor("connected")));
    const everyone = Array.from({ length: per * instances.length }, (_, i) => ({ userId: `u${i}` }));
    const results: number[] = [];
    const cpuOf = (procs: ReadonlyArray<{ proc: { pid?: number | undefined } }>) => procs.reduce((sum, p) => sum + cpuMs(p.proc.pid), 0);
    let [server0, client0] = [0, 0];
    for (let t = -warmupTurns; t < turns; t++) {
      if (t === 0) [server0, client0] = [cpuOf(instances), cpuOf(clients)];
      const want = t % 2 === 0;
      const from = clients.map((c) => c.lines.length);
      // Send to the last instance, so with two the change crosses Redis for half the room.
      const sent = Date.now();
      await setPublishers(instances.at(-1)!.url, room, want ? everyone : []);
      const end = Date.now() + 10_000;
      for (;;) {
        const done = clients.map((c, k) => c.lines.slice(from[k]).find((l) => l["type"] === "turn" && l["canPublish"] === want));
        if (done.every((l) => l !== undefined)) {
          if (t >= 0) results.push(Math.max(...done.map((l) => Number(l["last"]))) - sent);
          break;
        }
        if (Date.now() > end) {
          if (t >= 0) results.push(Number.NaN);
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const pushes = turns * everyone.length;
    cpu[room] = { serverUsPerPush: ((cpuOf(instances)) - server0) * 1000 / pushes, clientUsPerPush: ((cpuOf(clients)) - client0) * 1000 / pushes };
    return results;
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}

const summary = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), max: sorted.at(-1) ?? Number.NaN };
};

// BENCH_TURN_ONLY=memory|redis runs one set-up alone (for profiling).
const only = env["BENCH_TURN_ONLY"];

// Baselines, same clients and protocol: what pushing a token-sized message to every subscriber costs
// with no service behind it (bench/servers/bare-fanout.ts).
const baselines: Record<string, number[]> = {};
if (only === undefined || only === "" || only === "bare") {
  for (const mode of ["graphql", "raw"] as const) {
    const bare = await startProcess("bench/servers/bare-fanout.ts", { BARE_MODE: mode });
    try {
      baselines[mode] = await measure([bare], `bare-${mode}`);
    } finally {
      await bare.stop();
    }
  }
  if (only === "bare") {
    console.log(`bare: ${JSON.stringify(baselines)}; CPU µs per push: ${JSON.stringify(cpu)}`);
    process.exit(0);
  }
}
let memoryTurns: number[] = [];
if (only !== "redis") {
  const memory = await startProcess(SERVICE_ENTRY, { ...BENCH_ENV, ...LIMITS }, profile);
  try {
    memoryTurns = await measure([memory], "turn-memory");
  } finally {
    await memory.stop();
  }
}
if (only === "memory") {
  console.log(`one instance, memory: ${memoryTurns.join(", ")} ms; CPU µs per push: ${JSON.stringify(cpu)}`);
  process.exit(0);
}
const redis = await startRedis();
let oneRedis: number[];
let twoRedis: number[];
try {
  const redisEnv = { ...BENCH_ENV, ...LIMITS, REDIS_URL: redis.url };
  const a = await startProcess(SERVICE_ENTRY, redisEnv, profile);
  try {
    oneRedis = await measure([a], "turn-one");
    twoRedis = [];
    if (only !== "redis") {
      const b = await startProcess(SERVICE_ENTRY, redisEnv, profile);
      try {
        twoRedis = await measure([a, b], "turn-two");
      } finally {
        await b.stop();
      }
    }
  } finally {
    await a.stop();
  }
} finally {
  await redis.stop();
}

if (only === "redis") {
  console.log(`one instance, Redis: ${oneRedis.join(", ")} ms; CPU µs per push: ${JSON.stringify(cpu)}`);
  process.exit(0);
}
const rows = [
  ["baseline: bare graphql-ws + graphql-js, fixed tokens, nothing else", baselines["graphql"] ?? [], "bare-graphql"],
  ["baseline: graphql-transport-ws by hand on ws, fixed tokens", baselines["raw"] ?? [], "bare-raw"],
  ["one instance, memory", memoryTurns, "turn-memory"],
  ["one instance, Redis", oneRedis, "turn-one"],
  ["two instances, Redis (half the users on each)", twoRedis, "turn-two"],
] as const;
console.log(`# turn change in a ${roomSize}-user room: ${await machineLine()}`);
console.log(`# ${turns} turns per set-up after ${warmupTurns} warm-up turns; subscribers in one client process per instance`);
console.log(settingsLine({ ...BENCH_ENV, ...LIMITS }));
console.log("| set-up | p50 ms | worst ms | every turn (ms) | instance CPU per push | client CPU per push |");
console.log("|---|---:|---:|---|---:|---:|");
for (const [name, xs, room] of rows) {
  const s = summary(xs);
  const c = cpu[room];
  console.log(`| ${name} | ${s.p50} | ${s.max} | ${xs.join(", ")} | ${c?.serverUsPerPush.toFixed(0)} µs | ${c?.clientUsPerPush.toFixed(0)} µs |`);
}
console.log("");
report(
  "turn-change",
  {
    roomSize,
    turns,
    memoryP50Ms: summary(memoryTurns).p50,
    memoryMaxMs: summary(memoryTurns).max,
    oneRedisP50Ms: summary(oneRedis).p50,
    oneRedisMaxMs: summary(oneRedis).max,
    twoRedisP50Ms: summary(twoRedis).p50,
    twoRedisMaxMs: summary(twoRedis).max,
    bareGraphqlWsP50Ms: summary(baselines["graphql"] ?? []).p50,
    bareRawWsP50Ms: summary(baselines["raw"] ?? []).p50,
    serviceUsPerPushMemory: cpu["turn-memory"]?.serverUsPerPush ?? Number.NaN,
    bareGraphqlWsUsPerPush: cpu["bare-graphql"]?.serverUsPerPush ?? Number.NaN,
  },
  [
    { name: `turn change p50, one instance in memory (ms)`, kind: "max", bound: GOAL_MS, value: summary(memoryTurns).p50 },
    { name: `turn change p50, one instance on Redis (ms)`, kind: "max", bound: GOAL_MS, value: summary(oneRedis).p50 },
    { name: `turn change p50, two instances on Redis (ms)`, kind: "max", bound: GOAL_MS, value: summary(twoRedis).p50 },
  ],
);
