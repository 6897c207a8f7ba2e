// Benchmark: losing an instance. Two instances on one Redis behind a stand-in load balancer (TCP
// proxies, bench/servers/lb-proxy.ts, that add X-Forwarded-For and send each new connection to the
// first backend that accepts it, A before B). BENCH_LOSS_SUBSCRIBERS subscribers, in client processes, each from its
// own loopback address, all land on A; A is killed with SIGKILL and the game server then changes
// everyone's rights through B. Measured: the time from the kill until each subscriber holds a token
// with the new rights received on a socket opened after the kill (so from B) that has not expired; B's event-loop delay (its zts_event_loop_delay_seconds) and peak CPU and memory (/proc)
// while it absorbs them.
import { readFileSync } from "node:fs";
import { readProcessEnv } from "../src/config/env.js";
import { startRedis } from "../test/helpers/redis.js";
import type { LossReport } from "./clients/loss-subscribers.js";
import { CLK_TCK, SERVICE_ENTRY, BENCH_ENV, cpuMs, machineLine, percentile, startLines, startProcess, type BenchProcess, type LineProcess, gql } from "./harness.js";
import { fmt, sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const total = sizeFromEnv(env, "BENCH_LOSS_SUBSCRIBERS", 10_000);
const clientCount = Math.min(total, sizeFromEnv(env, "BENCH_LOSS_CLIENTS", 4));
const timeoutMs = sizeFromEnv(env, "BENCH_LOSS_TIMEOUT_MS", 60_000);
const proxyCount = Math.min(clientCount, sizeFromEnv(env, "BENCH_LOSS_PROXIES", 2));
const profileDir = env["BENCH_CPU_PROFILE_DIR"] ?? "/tmp/zts-prof";

/**
 * What a deployment behind a load balancer sets: the balancer is trusted, so per-IP limits count each
 * device's own address (from X-Forwarded-For); every limit stays at its production default.
 */
const SETTINGS = {
  TRUSTED_PROXIES: "127.0.0.1/32",
  MAX_CONNECTIONS_PER_IP: "1000",
  MAX_SUBSCRIPTIONS_PER_USER: "20",
  ISSUE_RATE_LIMIT_PER_MINUTE: "30",
  AUTH_FAILURE_LIMIT_PER_MINUTE: "20",
  TOKEN_TTL_SECONDS: "3600",
} as const;

interface ProcSample {
  readonly at: number;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}


function sampleProc(pid: number): ProcSample {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { at: performance.now(), cpuSeconds: cpuMs(pid) / 1000, rssBytes: Number(rss) * 1024 };
}

/** CPU seconds a process has used so far (0 once it is gone). */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    return pid === undefined ? 0 : sampleProc(pid).cpuSeconds;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine has been busy (all cores), and the part spent in interrupts (loopback TCP). */
function machineBusySeconds(): { busy: number; irq: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: (fields.reduce((x, y) => x + y, 0) - idle) / CLK_TCK, irq: ((fields[5] ?? 0) + (fields[6] ?? 0)) / CLK_TCK };
}

/** The kernel's count of connections dropped because a listen queue was full (all sockets on the machine). */
function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  const names = lines.find((l) => l.startsWith("TcpExt:"))?.split(" ") ?? [];
  const values = lines.filter((l) => l.startsWith("TcpExt:"))[1]?.split(" ") ?? [];
  return Number(values[names.indexOf("ListenOverflows")]);
}

function peakRssHwm(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
}

/** Highest CPU use (cores) over any window of `span` consecutive samples (100 ms apart; the kernel counts in 10 ms ticks, so short windows overstate). */
function peakCpu(samples: readonly ProcSample[], span: number): number {
  let peak = 0;
  for (let i = span; i < samples.length; i++) {
    const a = samples[i - span] as ProcSample;
    const b = samples[i] as ProcSample;
    peak = Math.max(peak, (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000));
  }
  return peak;
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function metric(text: string, prefix: string): number {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return Number(line?.split(" ").pop() ?? Number.NaN);
}

const SET = "mutation($r: String!, $p: [PublisherInput!]!) { setPublishers(roomId: $r, publishers: $p) { version } }";


/** The rooms the client processes subscribe to (user i in loss-room-(i % 100)) and their users. */
function roomsOf(subscribers: number): Array<[string, string[]]> {
  const rooms = new Map<string, string[]>();
  for (let i = 0; i < subscribers; i++) {
    const room = `loss-room-${i % 100}`;
    rooms.set(room, [...(rooms.get(room) ?? []), `u${i}`]);
  }
  return [...rooms];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const latestProgress = (c: LineProcess) => {
  for (let i = c.lines.length - 1; i >= 0; i--) if (c.lines[i]?.["type"] === "progress") return Number(c.lines[i]?.["recovered"]);
  return 0;
};

const redis = await startRedis();
const serviceEnv = { ...BENCH_ENV, ...SETTINGS, REDIS_URL: redis.url };
const profile = env["BENCH_CPU_PROFILE"] === "1" ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
const a = await startProcess(SERVICE_ENTRY, serviceEnv);
const b: BenchProcess = await startProcess(SERVICE_ENTRY, serviceEnv, profile);
const proxies = Array.from({ length: proxyCount }, () => startLines("bench/servers/lb-proxy.ts", { BACKEND_PORTS: [a.url, b.url].map((u) => new URL(u).port).join(",") }));
const clients: LineProcess[] = [];
let aKilled = false;
try {
  const proxyPorts = await Promise.all(proxies.map(async (p) => Number((await p.waitFor("listening"))["port"])));
  const per = Math.ceil(total / clientCount);
  // A serving instance is warm: B first serves a few subscribers and a room change of its own, so
  // the measurement is not of its first-use compilation.
  const warm = startLines("bench/clients/loss-subscribers.ts", { ...BENCH_ENV, WS_URL: `${b.url.replace(/^http/, "ws")}/graphql`, SUBSCRIBERS: "200", USER_OFFSET: "1000000" });
  await warm.waitFor("connected");
  await gql(b.url, SET, { r: "loss-room-warm", p: [{ userId: "u1000000" }] });
  await warm.stop();
  const connectStart = Date.now();
  for (let k = 0; k < clientCount; k++) {
    const n = Math.min(per, total - k * per);
    clients.push(
      startLines("bench/clients/loss-subscribers.ts", { ...BENCH_ENV, WS_URL: `ws://127.0.0.1:${proxyPorts[k % proxyCount] as number}/graphql`, SUBSCRIBERS: String(n), USER_OFFSET: String(k * per) }),
    );
  }
  await Promise.all(clients.map((c) => c.waitFor("connected", 300_000)));
  const connectMs = Date.now() - connectStart;
  const onA = metric(await metricsText(a.url), "zts_active_subscriptions ");
  let onBBefore = metric(await metricsText(b.url), "zts_active_subscriptions ");
  for (let i = 0; i < 50 && onBBefore !== 0; i++) {
    await sleep(100);
    onBBefore = metric(await metricsText(b.url), "zts_active_subscriptions ");
  }
  if (onA !== total || onBBefore !== 0) throw new Error(`expected ${total} subscriptions on A and none on B, found ${onA} and ${onBBefore}`);
  await sleep(1000);
  await metricsText(b.url); // starts B's event-loop delay window afresh
  const before = sampleProc(b.proc.pid as number);

  const samples: ProcSample[] = [before];
  const sampler = setInterval(() => samples.push(sampleProc(b.proc.pid as number)), 100);
  const loop = { max: 0, p99: 0, scrapes: 0 };
  /** When B's subscription count was first seen at 99% and 100% of the subscribers (ms after the kill). */
  const heldBy = { p99: Number.NaN, all: Number.NaN };
  let killAt = Number.POSITIVE_INFINITY;
  let scraping = true;
  const loopScraper = (async () => {
    while (scraping) {
      // Seldom: with 10,000 sockets open, a scrape costs the server (prom-client lists every handle and
      // reads /proc/self/fd); the delay gauge keeps the longest delay between scrapes anyway.
      await sleep(1000);
      const text = await metricsText(b.url);
      const held = metric(text, "zts_active_subscriptions ");
      const since = Date.now() - killAt;
      if (Number.isNaN(heldBy.p99) && held >= 0.99 * total) heldBy.p99 = since;
      if (Number.isNaN(heldBy.all) && held >= total) heldBy.all = since;
      loop.max = Math.max(loop.max, metric(text, 'zts_event_loop_delay_seconds{quantile="1"}') * 1000);
      loop.p99 = Math.max(loop.p99, metric(text, 'zts_event_loop_delay_seconds{quantile="0.99"}') * 1000);
      loop.scrapes++;
    }
  })();

  const redisPid = Number(/process_id:(\d+)/.exec(await redis.admin.info("server"))?.[1]);
  const others = { clients: clients.map((c) => c.proc.pid), proxies: proxies.map((p) => p.proc.pid), bench: [process.pid] };
  const cpuOf = (pids: ReadonlyArray<number | undefined>) => pids.reduce((n: number, pid) => n + cpuSecondsOf(pid), 0);
  const cpuBefore = { clients: cpuOf(others.clients), proxies: cpuOf(others.proxies), bench: cpuOf(others.bench), redis: cpuSecondsOf(redisPid), machine: machineBusySeconds(), at: performance.now() };
  const overflowsBefore = listenOverflows();
  const aExited = new Promise((r) => a.proc.once("exit", r));
  killAt = Date.now();
  a.proc.kill("SIGKILL");
  aKilled = true;
  for (const c of clients) c.proc.stdin?.write(`watch ${killAt}\n`);
  // The game server, now talking to B, gives everyone the mic: a subscriber whose token from A is
  // still current would otherwise get nothing new from B (it only takes over the renewal schedule).
  await Promise.all(roomsOf(total).map(([room, users]) => gql(b.url, SET, { r: room, p: users.map((userId) => ({ userId })) })));
  const changedInMs = Date.now() - killAt;
  await aExited;
  const end = killAt + timeoutMs;
  let recovered = 0;
  while (Date.now() < end) {
    recovered = clients.reduce((n, c) => n + latestProgress(c), 0);
    if (recovered >= total) break;
    await sleep(50);
  }
  const allInMs = Date.now() - killAt;
  const overflows = listenOverflows() - overflowsBefore;
  const cpuAfter = { clients: cpuOf(others.clients), proxies: cpuOf(others.proxies), bench: cpuOf(others.bench), redis: cpuSecondsOf(redisPid), machine: machineBusySeconds(), at: performance.now() };
  await sleep(500);
  clearInterval(sampler);
  scraping = false;
  await loopScraper;
  const hwm = peakRssHwm(b.proc.pid as number);
  const onB = metric(await metricsText(b.url), "zts_active_subscriptions ");

  for (const c of clients) c.proc.stdin?.write("report\n");
  const reports = (await Promise.all(clients.map((c) => c.waitFor("report", 60_000)))) as unknown as LossReport[];
  const recoveries = reports.flatMap((r) => r.recoveries).sort((x, y) => x - y);
  const missing = reports.reduce((n, r) => n + r.missing, 0);
  const invalid = reports.reduce((n, r) => n + r.invalid, 0);
  const reconnects = reports.reduce((n, r) => n + r.reconnects, 0);
  const errors = reports.reduce((n, r) => n + r.errors, 0);
  const withoutToken = missing + invalid;
  const closes: Record<string, number> = {};
  for (const r of reports) for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n;
  const closeSummary = Object.entries(closes).map(([code, n]) => `${code}: ${fmt(n)}`).join(", ");
  const last = samples.at(-1) as ProcSample;
  const cpuSeconds = last.cpuSeconds - before.cpuSeconds;
  const peakRss = Math.max(...samples.map((s) => s.rssBytes));
  for (const p of proxies) p.proc.stdin?.write("stats\n");
  const stats = await Promise.all(proxies.map(async (p) => (await p.waitFor("stats"))["backends"] as Array<{ routed: number; refused: number }>));
  const toA = { refused: stats.reduce((n, s) => n + (s[0]?.refused ?? 0), 0) };
  const toB = { routed: stats.reduce((n, s) => n + (s[1]?.routed ?? 0), 0) };
  const mib = (n: number) => n / 2 ** 20;
  const p50 = percentile(recoveries, 50);
  const p99 = percentile(recoveries, 99);
  const max = recoveries.at(-1) ?? Number.NaN;
  const settings = Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(" ");
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

  console.log(`# instance loss: ${await machineLine()}`);
  console.log(`# two instances (separate processes, NODE_ENV=production) + one redis-server; ${clientCount} client processes; ${proxyCount} TCP proxy processes stand in for the load balancer (X-Forwarded-For added, passive health check)`);
  console.log(`# service settings: ${settings}; REDIS_URL; everything else at its default. Load average after the run: ${load}`);
  console.log("| measure | value |");
  console.log("|---|---:|");
  console.log(`| subscribers on A before the kill (connect time) | ${fmt(onA)} (${fmt(connectMs)} ms) |`);
  console.log(`| kill -> token from B, p50 / p99 / max | ${fmt(p50)} / ${fmt(p99)} / ${fmt(max)} ms |`);
  console.log(`| kill -> last subscriber recovered (as polled) | ${recovered >= total ? `${fmt(allInMs)} ms` : `not within ${fmt(timeoutMs)} ms`} |`);
  console.log(`| rights changed on B for every subscriber (100 setPublishers) | ${fmt(changedInMs)} ms after the kill |`);
  console.log(`| B holds 99% / all of the subscriptions (scraped every second) | ${fmt(heldBy.p99)} / ${fmt(heldBy.all)} ms after the kill |`);
  console.log(`| subscribers without a current token (none / expired) | ${missing} / ${invalid} |`);
  console.log(`| subscriptions on B afterwards; reconnects; subscription errors | ${fmt(onB)}; ${fmt(reconnects)}; ${errors} |`);
  console.log(`| client socket closes by code | ${closeSummary} |`);
  console.log(`| connections dropped by a full listen queue (kernel ListenOverflows, whole machine) | ${fmt(overflows)} |`);
  console.log(`| proxy: connections to A refused after the kill; routed to B | ${toA?.refused ?? 0}; ${fmt(toB?.routed ?? 0)} |`);
  console.log(`| B event-loop delay while absorbing: max / worst p99 (${loop.scrapes} scrapes) | ${loop.max.toFixed(1)} / ${loop.p99.toFixed(1)} ms |`);
  console.log(`| B CPU: peak over 0.5 s / over 1 s; total CPU from kill to recovery | ${(peakCpu(samples, 5) * 100).toFixed(0)}% / ${(peakCpu(samples, 10) * 100).toFixed(0)}%; ${cpuSeconds.toFixed(2)} s |`);
  const windowS = (cpuAfter.at - cpuBefore.at) / 1000;
  const bWindow = (samples.at(-1) as ProcSample).cpuSeconds - before.cpuSeconds;
  const cpu = {
    clients: cpuAfter.clients - cpuBefore.clients,
    proxies: cpuAfter.proxies - cpuBefore.proxies,
    bench: cpuAfter.bench - cpuBefore.bench,
    redis: cpuAfter.redis - cpuBefore.redis,
    machine: cpuAfter.machine.busy - cpuBefore.machine.busy,
    irq: cpuAfter.machine.irq - cpuBefore.machine.irq,
  };
  const rest = cpu.machine - cpu.irq - cpu.clients - cpu.proxies - cpu.bench - cpu.redis - bWindow;
  console.log(`| CPU s from kill to recovery (${windowS.toFixed(1)} s, 2 cores = ${(2 * windowS).toFixed(0)} CPU s): B / clients / proxies / redis / this process / interrupts / everything else on the machine | ${[bWindow, cpu.clients, cpu.proxies, cpu.redis, cpu.bench, cpu.irq, rest].map((n) => n.toFixed(1)).join(" / ")} |`);
  console.log(`| B memory (RSS): before / peak sampled / high-water mark | ${mib(before.rssBytes).toFixed(0)} / ${mib(peakRss).toFixed(0)} / ${mib(hwm).toFixed(0)} MiB |`);
  report(
    "instance-loss",
    {
      subscribers: total,
      clientProcesses: clientCount,
      recoveryP50Ms: p50,
      recoveryP99Ms: p99,
      recoveryMaxMs: max,
      rightsChangedMs: changedInMs,
      bHolds99PercentMs: heldBy.p99,
      bHoldsAllMs: heldBy.all,
      withoutToken,
      expiredTokens: invalid,
      reconnects,
      subscriptionErrors: errors,
      closes: closeSummary,
      listenOverflows: overflows,
      bLoopDelayMaxMs: loop.max,
      bLoopDelayP99Ms: loop.p99,
      bPeakCpuPercent500ms: peakCpu(samples, 5) * 100,
      bPeakCpuPercent1s: peakCpu(samples, 10) * 100,
      bCpuSeconds: cpuSeconds,
      clientCpuSeconds: cpu.clients,
      proxyCpuSeconds: cpu.proxies,
      redisCpuSeconds: cpu.redis,
      benchCpuSeconds: cpu.bench,
      interruptCpuSeconds: cpu.irq,
      otherCpuSeconds: rest,
      bRssBeforeMiB: mib(before.rssBytes),
      bRssPeakMiB: mib(Math.max(peakRss, hwm)),
      loadAverage: load,
      settings,
    },
    [
      { name: "kill -> every subscriber holds a token from B, p99 (ms)", value: p99, kind: "max", bound: 10_000 },
      { name: "subscribers left without a current token", value: recoveries.length === 0 ? Number.NaN : withoutToken, kind: "max", bound: 0 },
      { name: "B event-loop delay while absorbing, max (ms)", value: loop.scrapes === 0 ? Number.NaN : loop.max, kind: "max", bound: 100 },
    ],
  );
} finally {
  await Promise.all(clients.map((c) => c.stop()));
  if (!aKilled) await a.stop();
  else if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill("SIGKILL");
  await Promise.all(proxies.map((p) => p.stop()));
  await b.stop();
  await redis.stop();
}
