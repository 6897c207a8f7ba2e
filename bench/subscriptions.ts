// Benchmark 3: N live tokenRenewed subscriptions (default 50,000) on one instance, held by several client
// processes, each from its own loopback address (127.0.0.2, 127.0.0.3, ...) so that neither the
// ephemeral port range nor the per-address cap of one source is the limit. Measures the server's RSS
// per subscription, the time to connect them all and receive every INITIAL token, and a turn change in a
// 1,000-user room while the rest stay subscribed. Then, in the same run and with the same clients, a
// bare graphql-ws server (bench/servers/bare-ws.ts) holding as many idle subscriptions: the ratio of
// the two per-subscription figures is what this service adds over graphql-ws itself.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readProcessEnv } from "../src/config/env.js";
import { BENCH_ENV, SERVICE_ENTRY, machineLine, rssOf, scrape, startLines, startProcess, type BenchProcess, type LineProcess, gql } from "./harness.js";
import { fmt, sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const WANTED = 200_000;
// Sockets go well past a shell's default open-file limit; only the children get more (prlimit). Without
// CAP_SYS_RESOURCE (a container that drops it) the hard limit cannot be raised, and one server process
// can hold only that many sockets: the run is then capped to fit, and says so.
const hardLimit = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? "1024");
const canRaise = spawnSync("prlimit", [`--nofile=${WANTED}:${WANTED}`, "--", "true"], { stdio: "ignore" }).status === 0;
const NOFILE = canRaise ? WANTED : hardLimit;
const requested = sizeFromEnv(env, "BENCH_SUBSCRIPTIONS", 50_000);
const fits = Math.floor((NOFILE - 1000) / 1000) * 1000;
const total = Math.min(requested, fits);
const clientProcesses = sizeFromEnv(env, "BENCH_CLIENT_PROCESSES", Math.max(1, Math.ceil(total / 10_000)));
const roomSize = sizeFromEnv(env, "BENCH_ROOM_SIZE", 1000);
const settleMs = sizeFromEnv(env, "BENCH_SETTLE_MS", 5000);
const per = Math.ceil(total / clientProcesses);
const n = per * clientProcesses;
const WARM = 50;
const ROOM = "bench-turn";
const SET = "mutation($r: String!, $p: [PublisherInput!]!) { setPublishers(roomId: $r, publishers: $p) { version } }";

// What a deployment would set for this load: each source address holds `per` connections (one client
// host, or a NAT, in front of many users), and up to 200 of its logins are in flight at once, each
// reserving a failure point until its JWT verifies. Everything else is the production default.
const LIMITS = {
  MAX_CONNECTIONS_PER_IP: String(Math.ceil((per * 1.2) / 1000) * 1000),
  AUTH_FAILURE_LIMIT_PER_MINUTE: "1000",
  ISSUE_RATE_LIMIT_PER_MINUTE: "30",
  MAX_SUBSCRIPTIONS_PER_USER: "20",
} as const;
const SERVICE_ENV = { ...BENCH_ENV, ...LIMITS, TOKEN_TTL_SECONDS: "3600" };
// Production runs the build (dist/) with node alone; BENCH_TSX=1 runs the source under tsx instead,
// whose keepNames adds a name property (a few hundred bytes) to every closure our code creates.
const underTsx = env["BENCH_TSX"] === "1";
// BENCH_SERVICE_DIST names another build to run instead of building dist/ (e.g. an older commit's).
const dist = env["BENCH_SERVICE_DIST"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** What one server holds with `n` subscriptions. */
interface Held {
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly connectMs: number;
  readonly kibPerSubscription: number;
}

function subscriberEnv(wsUrl: string, i: number): Record<string, string> {
  const own = { ...BENCH_ENV, WS_URLS: wsUrl, SUBSCRIBERS: String(per), USER_OFFSET: String(i * per), LOCAL_ADDRESS: `127.0.0.${i + 2}` };
  // The first process's first `roomSize` users share the turn-change room; they report their pushes.
  return i === 0 ? { ...own, ROOM, ROOM_MEMBERS: String(roomSize), PUSHES: "turns" } : own;
}

/** Connects `n` subscribers (after WARM warm-up ones) to `server`; the clients stay connected. */
async function hold(server: BenchProcess, clients: LineProcess[]): Promise<Held> {
  const pid = server.proc.pid as number;
  const wsUrl = `${server.url.replace(/^http/, "ws")}/graphql`;
  // A few subscriptions first, so the baseline includes warmed-up code and caches.
  const warm = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: wsUrl, SUBSCRIBERS: String(WARM), USER_OFFSET: "900000" }, { nofile: NOFILE });
  clients.push(warm);
  await warm.waitFor("connected");
  await sleep(settleMs);
  const rssBefore = await rssOf(pid);
  const started = Date.now();
  const load = Array.from({ length: clientProcesses }, (_, i) => startLines("bench/clients/subscribers.ts", subscriberEnv(wsUrl, i), { nofile: NOFILE }));
  clients.push(...load);
  const connected = await Promise.all(load.map((c) => c.waitFor("connected", 900_000)));
  const readyAll = connected.reduce((sum, c) => sum + Number(c["ready"]), 0);
  if (readyAll !== n) throw new Error(`only ${readyAll} of ${n} subscribers connected`);
  // Client-side: from each process's first connect to its last INITIAL token; the processes run at once.
  const connectMs = Math.max(...connected.map((c) => Number(c["ms"])));
  process.stderr.write(`# ${n} connected in ${connectMs} ms (${Date.now() - started} ms including client start)\n`);
  await sleep(settleMs);
  const rssAfter = await rssOf(pid);
  return { rssBefore, rssAfter, connectMs, kibPerSubscription: (rssAfter - rssBefore) / n / 1024 };
}

async function stopAll(clients: LineProcess[]): Promise<void> {
  await Promise.all(clients.map((c) => c.stop()));
  clients.length = 0;
}

/** One setPublishers per turn; ms from sending it until the last room member has the new token. */
async function turnChanges(url: string, members: LineProcess): Promise<number[]> {
  const everyone = Array.from({ length: roomSize }, (_, i) => ({ userId: `u${i}` }));
  const turns: number[] = [];
  for (const [publishers, want] of [[everyone, true], [[], false], [everyone, true]] as const) {
    const from = members.lines.length;
    const sent = Date.now();
    await gql(url, SET, { r: ROOM, p: publishers });
    const end = Date.now() + 30_000;
    for (;;) {
      const done = members.lines.slice(from).find((l) => l["type"] === "turn" && l["canPublish"] === want);
      if (done !== undefined) {
        turns.push(Number(done["last"]) - sent);
        break;
      }
      if (Date.now() > end) {
        turns.push(Number.NaN);
        break;
      }
      await sleep(2);
    }
    await sleep(500);
  }
  return turns;
}

const load = async () => (await import("node:os")).loadavg().map((l) => l.toFixed(2)).join(" ");
const loadBefore = await load();
const clients: LineProcess[] = [];

// The service first, then (with the service stopped) the bare server: never both at once.
const service = underTsx
  ? await startProcess("src/cli/start.ts", SERVICE_ENV, [], { nofile: NOFILE })
  : await startProcess(dist === undefined ? SERVICE_ENTRY : `${dist}/cli/start.js`, SERVICE_ENV, [], { nofile: NOFILE, plain: true });
let svc: Held;
let turns: number[];
let active: number;
let heapAfter: number;
try {
  svc = await hold(service, clients);
  heapAfter = await scrape(service.url, "nodejs_heap_size_used_bytes");
  active = (await scrape(service.url, "zts_active_subscriptions")) - WARM;
  // clients[0] is the warm-up process; clients[1] holds the room.
  turns = await turnChanges(service.url, clients[1] as LineProcess);
} finally {
  await stopAll(clients);
  await service.stop();
}
const loadMid = await load();

const bare = await startProcess("bench/servers/bare-ws.ts", {}, [], { nofile: NOFILE });
let base: Held;
try {
  base = await hold(bare, clients);
} finally {
  await stopAll(clients);
  await bare.stop();
}
const loadAfter = await load();

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ratio = svc.kibPerSubscription / base.kibPerSubscription;
const worstTurn = Math.max(...turns);
console.log(`# ${fmt(n)} live tokenRenewed subscriptions on one instance: ${await machineLine()}`);
console.log(`# clients: ${clientProcesses} processes x ${fmt(per)} graphql-ws connections from 127.0.0.2-${clientProcesses + 1}, one subscription each, + ${WARM} warm-up`);
if (total < requested) {
  console.log(`# CAPPED: ${fmt(requested)} subscriptions asked, ${fmt(total)} run: the open-file hard limit is ${fmt(hardLimit)} and cannot be raised here (no CAP_SYS_RESOURCE), and one server process needs a descriptor per socket`);
}
console.log(`# service limits raised by configuration: ${Object.entries(LIMITS).map(([k, v]) => `${k}=${v}`).join(" ")} (memory mode, one instance, TOKEN_TTL_SECONDS=3600, ${underTsx ? "src under tsx" : `${dist ?? "dist"}/cli/start.js under node alone, as in production`}); open files ${fmt(NOFILE)} per process (${canRaise ? "raised with prlimit" : "the hard limit: cannot be raised here"})`);
console.log(`# load average (1/5/15 min) before / between / after: ${loadBefore} / ${loadMid} / ${loadAfter}`);
console.log("| measure | service | bare graphql-ws |");
console.log("|---|---:|---:|");
console.log(`| subscriptions held | ${fmt(active)} (zts_active_subscriptions) | ${fmt(n)} |`);
console.log(`| time to connect all and receive every INITIAL token | ${fmt(svc.connectMs)} ms | ${fmt(base.connectMs)} ms |`);
console.log(`| RSS before / after | ${mib(svc.rssBefore)} / ${mib(svc.rssAfter)} | ${mib(base.rssBefore)} / ${mib(base.rssAfter)} |`);
console.log(`| RSS per subscription | ${svc.kibPerSubscription.toFixed(1)} KiB | ${base.kibPerSubscription.toFixed(1)} KiB |`);
console.log(`| heap used after (service /metrics) | ${mib(heapAfter)} | |`);
console.log(`| turn change, ${fmt(roomSize)} users among the ${fmt(n)}: send -> last user has the new token (all / none / all) | ${turns.join(" / ")} ms | |`);
console.log(`\nservice / bare per subscription = ${ratio.toFixed(2)}x`);
report(
  "subscriptions",
  {
    subscriptions: n,
    requested,
    openFileLimit: NOFILE,
    clientProcesses,
    kibPerSubscription: svc.kibPerSubscription,
    bareKibPerSubscription: base.kibPerSubscription,
    ratioToBare: ratio,
    connectMs: svc.connectMs,
    bareConnectMs: base.connectMs,
    rssAfterMiB: svc.rssAfter / 2 ** 20,
    bareRssAfterMiB: base.rssAfter / 2 ** 20,
    turnChangeMs: turns.join("/"),
    service: underTsx ? "src/cli/start.ts (tsx)" : `${dist ?? "dist"}/cli/start.js`,
    limits: Object.entries(LIMITS).map(([k, v]) => `${k}=${v}`).join(" "),
    loadAverage: loadBefore,
  },
  [
    { name: `RSS per subscription at ${fmt(n)} (KiB)`, value: svc.kibPerSubscription, kind: "max", bound: 20 },
    { name: "RSS per subscription, ratio to bare graphql-ws", value: ratio, kind: "max", bound: 1.3 },
    { name: `turn change, ${fmt(roomSize)} users, at ${fmt(n)} subscriptions (worst of 3, ms)`, value: worstTurn, kind: "max", bound: 50 },
  ],
);
