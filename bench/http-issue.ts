// Benchmark 2: issueToken over HTTP, the service against a bare node:http handler doing the same JWT
// check and minting. Servers run in child processes; autocannon runs here.
import autocannon from "autocannon";
import { signUserJwt } from "../src/auth/dev-jwt.js";
import { readProcessEnv } from "../src/config/env.js";
import { BENCH_ENV, SERVICE_ENTRY, procCpu, machineLine, startProcess, type BenchProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const seconds = sizeFromEnv(env, "BENCH_HTTP_SECONDS", 10);
const connections = sizeFromEnv(env, "BENCH_HTTP_CONNECTIONS", 32);
const fixedRate = sizeFromEnv(env, "BENCH_HTTP_RATE", 1000);
const rounds = sizeFromEnv(env, "BENCH_HTTP_ROUNDS", 3);
const profileDir = env["BENCH_CPU_PROFILE_DIR"] ?? "/tmp/zts-prof";

const ORIGIN = "https://app.example";
// What a production deployment serving browsers sets. The issue cap is raised through configuration
// only: one user's JWT carries the whole load here, and the default (30 a minute) would answer 429.
const SERVICE_ENV: Record<string, string> = { ...BENCH_ENV, CORS_ORIGINS: ORIGIN };
const SECRET_VARIABLES = new Set(["ZEGO_SERVER_SECRET", "AUTH_JWT_SECRET", "SERVICE_API_KEYS"]);

interface Row {
  rps: number;
  /** CPU of the server process per request, user and kernel, in µs. */
  userUs: number;
  systemUs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** User and system CPU of a process so far, in µs. */
function cpuOf(pid: number | undefined): { user: number; system: number } {
  const { userMs, systemMs } = procCpu(pid);
  return { user: userMs * 1000, system: systemMs * 1000 };
}

async function run(server: BenchProcess, jwt: string, rate?: number): Promise<Row> {
  const url = server.url;
  const body = JSON.stringify({ query: "mutation($roomId: String) { issueToken(roomId: $roomId) { token expiresAt renewAt } }", variables: { roomId: "room1" } });
  const before = cpuOf(server.proc.pid);
  const result = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    connections: rate === undefined ? connections : 16,
    duration: seconds,
    // A browser client's request: the service answers it with CORS headers.
    headers: { "content-type": "application/json", authorization: `Bearer ${jwt}`, origin: ORIGIN },
    body,
    ...(rate === undefined ? {} : { overallRate: rate }),
  });
  const after = cpuOf(server.proc.pid);
  const done = result.requests.total;
  return {
    userUs: (after.user - before.user) / done,
    systemUs: (after.system - before.system) / done,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function us(cpu: { user: number; system: number }): string {
  return `${Math.round(cpu.user)} + ${Math.round(cpu.system)}`;
}

function settingsLine(): string {
  const shown = Object.entries(SERVICE_ENV)
    .filter(([k]) => !SECRET_VARIABLES.has(k))
    .map(([k, v]) => `${k}=${v}`);
  return `${shown.join(" ")}; no REDIS_URL (memory store and bus); every other variable at its default (MAX_CONNECTIONS_PER_IP 1000, TOKEN_TTL_SECONDS 3600, connection timeouts)`;
}

async function main(): Promise<void> {
  const jwt = await signUserJwt({ secret: BENCH_ENV.AUTH_JWT_SECRET, userId: "bench_user", ttlSeconds: 3600, nowMs: Date.now() });
  const profile = env["BENCH_CPU_PROFILE"] === "1" ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const service = await startProcess(SERVICE_ENTRY, SERVICE_ENV, profile);
  const bare = await startProcess("bench/servers/bare.ts", { ...BENCH_ENV });
  const naive = await startProcess("bench/servers/bare.ts", { ...BENCH_ENV, BARE_RAW_KEY: "1" });
  try {
    // Warm every server up (JIT, caches) before measuring.
    for (const server of [service, bare, naive]) await run(server, jwt);
    // Service and bare alternate (and swap order each round) so that load from elsewhere on the
    // machine hits both alike; each round gives one ratio.
    const s: Row[] = [];
    const b: Row[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        s.push(await run(service, jwt));
        b.push(await run(bare, jwt));
      } else {
        b.push(await run(bare, jwt));
        s.push(await run(service, jwt));
      }
    }
    const n = await run(naive, jwt);
    const sFixed = await run(service, jwt, fixedRate);
    const bFixed = await run(bare, jwt, fixedRate);
    const ratios = s.map((row, i) => row.rps / (b[i] as Row).rps);
    const ratio = median(ratios);
    const sRps = median(s.map((row) => row.rps));
    const bRps = median(b.map((row) => row.rps));
    const cpu = (rows: Row[]) => ({ user: median(rows.map((row) => row.userUs)), system: median(rows.map((row) => row.systemUs)) });
    const sCpu = cpu(s);
    const bCpu = cpu(b);
    const nCpu = cpu([n]);
    const worst = (rows: Row[], k: "p50" | "p99") => Math.max(...rows.map((row) => row[k]));
    const failures = (rows: Row[]) => `${rows.reduce((a, row) => a + row.errors, 0)}/${rows.reduce((a, row) => a + row.non2xx, 0)}`;
    console.log(`# issueToken over HTTP: ${await machineLine()}`);
    console.log(`# autocannon ${connections} connections, ${rounds} rounds x ${seconds}s per server (max rate, medians), then ${fixedRate} req/s x ${seconds}s`);
    console.log(`# service settings: ${settingsLine()}`);
    console.log(`# requests: POST /graphql, application/json, Authorization: Bearer <one user's HS256 JWT>, Origin: ${ORIGIN}`);
    console.log("| server | max req/s | p50 ms | p99 ms | p50 ms @" + fixedRate + "/s | p99 ms @" + fixedRate + "/s | errors/non-2xx | CPU µs/req user + kernel |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    console.log(`| bare node:http + jose + codec (HMAC key imported once) | ${Math.round(bRps)} | ${worst(b, "p50")} | ${worst(b, "p99")} | ${bFixed.p50} | ${bFixed.p99} | ${failures([...b, bFixed])} | ${us(bCpu)} |`);
    console.log(`| bare, jose given the raw secret (re-imported per call) | ${Math.round(n.rps)} | ${n.p50} | ${n.p99} | - | - | ${failures([n])} | ${us(nCpu)} |`);
    console.log(`| service (yoga + Pothos) | ${Math.round(sRps)} | ${worst(s, "p50")} | ${worst(s, "p99")} | ${sFixed.p50} | ${sFixed.p99} | ${failures([...s, sFixed])} | ${us(sCpu)} |`);
    console.log(`\nper round, service/bare req/s: ${s.map((row, i) => `${Math.round(row.rps)}/${Math.round((b[i] as Row).rps)} = ${(ratios[i] as number).toFixed(2)}`).join("; ")}`);
    console.log(`service/bare = ${ratio.toFixed(2)} (median of ${rounds} rounds); service/naive bare = ${(sRps / n.rps).toFixed(2)}; service p99 at ${fixedRate}/s = ${sFixed.p99} ms\n`);
    report(
      "http-issue",
      {
        service_rps: sRps,
        bare_rps: bRps,
        naive_bare_rps: n.rps,
        service_over_naive: sRps / n.rps,
        service_user_us_per_req: sCpu.user,
        service_kernel_us_per_req: sCpu.system,
        bare_user_us_per_req: bCpu.user,
        bare_kernel_us_per_req: bCpu.system,
        service_p99_ms_fixed: sFixed.p99,
        bare_p99_ms_fixed: bFixed.p99,
        fixed_rate: fixedRate,
        rounds,
        seconds,
        connections,
        failures: [...s, ...b, n, sFixed, bFixed].reduce((a, row) => a + row.errors + row.non2xx, 0),
        settings: settingsLine(),
      },
      [
        { name: "service/bare req/s (median of rounds)", value: ratio, kind: "min", bound: 0.6 },
        { name: `service p99 at ${fixedRate} req/s (ms)`, value: sFixed.p99, kind: "max", bound: 20 },
      ],
    );
  } finally {
    await Promise.all([service.stop(), bare.stop(), naive.stop()]);
  }
}

await main();
