// Benchmark 2: issueToken over HTTP, the service against a bare node:http handler doing the same JWT
// check and minting. Servers run in child processes; autocannon runs here.
import autocannon from "autocannon";
import { signUserJwt } from "../src/auth/dev-jwt.js";
import { readProcessEnv } from "../src/config/env.js";
import { BENCH_ENV, SERVICE_ENTRY, procCpu, machineLine, startProcess, type BenchProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";
import { CLIENT_ACCEPTS } from "../test/fixtures/client-accepts.js";

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

/** The Accept headers measured: none (as before), then each client's, one row per distinct header. */
const ACCEPTS: ReadonlyArray<{ label: string; accept: string | undefined }> = (() => {
  const byHeader = new Map<string, string[]>();
  for (const [client, accept] of Object.entries(CLIENT_ACCEPTS)) byHeader.set(accept, [...(byHeader.get(accept) ?? []), client]);
  return [{ label: "no Accept", accept: undefined }, ...[...byHeader].map(([accept, clients]) => ({ label: clients.join(", "), accept }))];
})();

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

async function run(server: BenchProcess, jwt: string, accept: string | undefined, rate?: number): Promise<Row> {
  const url = server.url;
  const body = JSON.stringify({ query: "mutation($roomId: String) { issueToken(roomId: $roomId) { token expiresAt renewAt } }", variables: { roomId: "room1" } });
  const before = cpuOf(server.proc.pid);
  const result = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    connections: rate === undefined ? connections : 16,
    duration: seconds,
    // A browser client's request: the service answers it with CORS headers.
    headers: { "content-type": "application/json", authorization: `Bearer ${jwt}`, origin: ORIGIN, ...(accept === undefined ? {} : { accept }) },
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
    const shipped = CLIENT_ACCEPTS["zego-token-service/client"];
    // Warm every server up (JIT, caches) before measuring.
    for (const server of [service, bare, naive]) await run(server, jwt, shipped);
    // The bare handler and the service (once per Accept header) alternate, and swap order each round, so
    // that load from elsewhere on the machine hits them alike; each round gives one ratio per header.
    const s: Row[][] = ACCEPTS.map(() => []);
    const b: Row[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) b.push(await run(bare, jwt, shipped));
      for (const [i, { accept }] of ACCEPTS.entries()) (s[i] as Row[]).push(await run(service, jwt, accept));
      if (r % 2 === 1) b.push(await run(bare, jwt, shipped));
    }
    const n = await run(naive, jwt, shipped);
    const sFixed = await run(service, jwt, shipped, fixedRate);
    const bFixed = await run(bare, jwt, shipped, fixedRate);
    const ratiosOf = (rows: Row[]) => rows.map((row, i) => row.rps / (b[i] as Row).rps);
    const ratios = s.map((rows) => median(ratiosOf(rows)));
    const bRps = median(b.map((row) => row.rps));
    const cpu = (rows: Row[]) => ({ user: median(rows.map((row) => row.userUs)), system: median(rows.map((row) => row.systemUs)) });
    const bCpu = cpu(b);
    const nCpu = cpu([n]);
    const worst = (rows: Row[], k: "p50" | "p99") => Math.max(...rows.map((row) => row[k]));
    const failures = (rows: Row[]) => `${rows.reduce((a, row) => a + row.errors, 0)}/${rows.reduce((a, row) => a + row.non2xx, 0)}`;
    const shippedIndex = ACCEPTS.findIndex((a) => a.accept === shipped);
    const sShipped = s[shippedIndex] as Row[];
    const sRps = median(sShipped.map((row) => row.rps));
    const sCpu = cpu(sShipped);
    console.log(`# issueToken over HTTP: ${await machineLine()}`);
    console.log(`# autocannon ${connections} connections, ${rounds} rounds x ${seconds}s per server and header (max rate, medians), then ${fixedRate} req/s x ${seconds}s`);
    console.log(`# service settings: ${settingsLine()}`);
    console.log(`# requests: POST /graphql, application/json, Authorization: Bearer <one user's HS256 JWT>, Origin: ${ORIGIN}; Accept as listed (fixed-rate rows and the bare handler: ${shipped})`);
    console.log("| server | Accept | max req/s | ratio to bare | p50 ms | p99 ms | errors/non-2xx | CPU µs/req user + kernel |");
    console.log("|---|---|---:|---:|---:|---:|---:|---:|");
    console.log(`| bare node:http + jose + codec (HMAC key imported once) | our client's | ${Math.round(bRps)} | 1 | ${worst(b, "p50")} | ${worst(b, "p99")} | ${failures(b)} | ${us(bCpu)} |`);
    console.log(`| bare, jose given the raw secret (re-imported per call) | our client's | ${Math.round(n.rps)} | ${(n.rps / bRps).toFixed(2)} | ${n.p50} | ${n.p99} | ${failures([n])} | ${us(nCpu)} |`);
    for (const [i, { label }] of ACCEPTS.entries()) {
      const rows = s[i] as Row[];
      console.log(`| service (yoga + Pothos) | ${label} | ${Math.round(median(rows.map((row) => row.rps)))} | ${(ratios[i] as number).toFixed(2)} | ${worst(rows, "p50")} | ${worst(rows, "p99")} | ${failures(rows)} | ${us(cpu(rows))} |`);
    }
    console.log(`\nat ${fixedRate} req/s (our client's header): service p50/p99 ${sFixed.p50}/${sFixed.p99} ms, bare ${bFixed.p50}/${bFixed.p99} ms; errors/non-2xx ${failures([sFixed, bFixed])}`);
    for (const [i, { label }] of ACCEPTS.entries()) {
      console.log(`per round, service/bare req/s (${label}): ${(s[i] as Row[]).map((row, r) => `${Math.round(row.rps)}/${Math.round((b[r] as Row).rps)} = ${(row.rps / (b[r] as Row).rps).toFixed(2)}`).join("; ")}`);
    }
    console.log(`service/bare with our client's header = ${(ratios[shippedIndex] as number).toFixed(2)} (median of ${rounds} rounds); service/naive bare = ${(sRps / n.rps).toFixed(2)}\n`);
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
        failures: [...s.flat(), ...b, n, sFixed, bFixed].reduce((a, row) => a + row.errors + row.non2xx, 0),
        settings: settingsLine(),
      },
      [
        ...ACCEPTS.map(({ label }, i) => ({ name: `service/bare req/s, Accept of ${label} (median of rounds)`, value: ratios[i] as number, kind: "min" as const, bound: 0.6 })),
        { name: `service p99 at ${fixedRate} req/s (ms)`, value: sFixed.p99, kind: "max", bound: 20 },
      ],
    );
  } finally {
    await Promise.all([service.stop(), bare.stop(), naive.stop()]);
  }
}

await main();
