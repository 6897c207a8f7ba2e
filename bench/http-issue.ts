// Benchmark 2: issueToken over HTTP, the service against a bare node:http handler doing the same JWT
// check and minting. Servers run in child processes; autocannon runs here.
import autocannon from "autocannon";
import { signUserJwt } from "../src/auth/dev-jwt.js";
import { readProcessEnv } from "../src/config/env.js";
import { BENCH_ENV, SERVICE_ENTRY, machineLine, startProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";

const env = readProcessEnv();
const seconds = sizeFromEnv(env, "BENCH_HTTP_SECONDS", 10);
const connections = sizeFromEnv(env, "BENCH_HTTP_CONNECTIONS", 32);
const fixedRate = sizeFromEnv(env, "BENCH_HTTP_RATE", 1000);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function run(url: string, jwt: string, rate?: number): Promise<Row & { non2xx: number }> {
  const body = JSON.stringify({ query: 'mutation($roomId: String) { issueToken(roomId: $roomId) { token expiresAt renewAt } }', variables: { roomId: "room1" } });
  const result = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    connections: rate === undefined ? connections : 16,
    duration: seconds,
    headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` },
    body,
    ...(rate === undefined ? {} : { overallRate: rate }),
  });
  return { name: "", rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

async function main(): Promise<void> {
  const jwt = await signUserJwt({ secret: BENCH_ENV.AUTH_JWT_SECRET, userId: "bench_user", ttlSeconds: 3600, nowMs: Date.now() });
  const profile = env["BENCH_CPU_PROFILE"] === "1" ? ["--cpu-prof", "--cpu-prof-dir=/tmp/zts-prof"] : [];
  const service = await startProcess(SERVICE_ENTRY, { ...BENCH_ENV }, profile);
  const bare = await startProcess("bench/servers/bare.ts", { ...BENCH_ENV });
  const naive = await startProcess("bench/servers/bare.ts", { ...BENCH_ENV, BARE_RAW_KEY: "1" });
  try {
    // Warm every server up (JIT, caches) before measuring.
    for (const url of [service.url, bare.url, naive.url]) await run(url, jwt);
    const s = await run(service.url, jwt);
    const b = await run(bare.url, jwt);
    const n = await run(naive.url, jwt);
    const sFixed = await run(service.url, jwt, fixedRate);
    const bFixed = await run(bare.url, jwt, fixedRate);
    console.log(`# issueToken over HTTP: ${await machineLine()}`);
    console.log(`# autocannon ${connections} connections x ${seconds}s (max rate), then ${fixedRate} req/s x ${seconds}s`);
    console.log("| server | max req/s | p50 ms | p99 ms | p50 ms @" + fixedRate + "/s | p99 ms @" + fixedRate + "/s | errors/non-2xx |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    console.log(`| bare node:http + jose + codec (HMAC key imported once) | ${Math.round(b.rps)} | ${b.p50} | ${b.p99} | ${bFixed.p50} | ${bFixed.p99} | ${b.errors + bFixed.errors}/${b.non2xx + bFixed.non2xx} |`);
    console.log(`| bare, jose given the raw secret (re-imported per call) | ${Math.round(n.rps)} | ${n.p50} | ${n.p99} | - | - | ${n.errors}/${n.non2xx} |`);
    console.log(`| service (yoga + Pothos) | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${sFixed.p50} | ${sFixed.p99} | ${s.errors + sFixed.errors}/${s.non2xx + sFixed.non2xx} |`);
    console.log(`\nservice/bare = ${(s.rps / b.rps).toFixed(2)} (goal >= 0.5); service/naive bare = ${(s.rps / n.rps).toFixed(2)}; service p99 at ${fixedRate}/s = ${sFixed.p99} ms (goal < 20 ms)`);
  } finally {
    await Promise.all([service.stop(), bare.stop(), naive.stop()]);
  }
}

await main();
