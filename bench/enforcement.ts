// Benchmark 6: revocation enforcement. A token service (child process, ZEGO_ENFORCE=on) calls a fake ZEGO
// server running in this process, which applies ZEGO's limits (ForbidRTCStreams 20 calls/s per AppId).
// Revokes are sent at a fixed rate, each for a user with one named stream; latency is from sending the
// revokePublish mutation (so it includes the commit) to the fake receiving the ForbidRTCStreams call
// that names that stream. Run in memory mode and with Redis.
import { readProcessEnv } from "../src/config/env.js";
import { startFakeZego } from "../test/helpers/fake-zego.js";
import { startRedis } from "../test/helpers/redis.js";
import { BENCH_ENV, SERVICE_ENTRY, settingsLine, machineLine, percentile, startProcess, gql } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const seconds = sizeFromEnv(env, "BENCH_ENFORCE_SECONDS", 10);
const rates = [5, 100];

const GRANT = "mutation($r: String!, $u: String!, $s: [String!]) { grantPublish(roomId: $r, userId: $u, streamIds: $s) { version } }";
const REVOKE = "mutation($r: String!, $u: String!) { revokePublish(roomId: $r, userId: $u) { version } }";


console.log(await machineLine());
console.log(settingsLine({ ...BENCH_ENV, ZEGO_ENFORCE: "on" }));
const results: Array<{ mode: string; rate: number; p99: number; lost: number }> = [];
const fake = await startFakeZego({ appId: Number(BENCH_ENV.ZEGO_APP_ID), serverSecret: BENCH_ENV.ZEGO_SERVER_SECRET });
const redis = await startRedis();
console.log("| mode | revokes/s | revokes | p50 ms | p99 ms | max ms | ZEGO calls | streams per call | rate-limited answers |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
try {
  for (const mode of ["memory", "redis"] as const) {
    const server = await startProcess(SERVICE_ENTRY, {
      ...BENCH_ENV,
      ZEGO_ENFORCE: "on",
      ZEGO_SERVER_API_URL: fake.url,
      ...(mode === "redis" ? { REDIS_URL: redis.url, REDIS_PREFIX: `bench-enf-${Date.now()}` } : {}),
    });
    try {
      for (const rate of rates) {
        const count = rate * seconds;
        const tag = `${mode}-${rate}`;
        const stream = (i: number) => `bench-${tag}-s${i}`;
        for (let i = 0; i < count; i += 50) {
          await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => gql(server.url, GRANT, { r: `bench-${tag}-r${(i + k) % 20}`, u: `u${i + k}`, s: [stream(i + k)] })));
        }
        const firstCall = fake.calls.length;
        const limitedBefore = fake.counts.rateLimited;
        const sentAt = new Map<string, number>();
        const start = performance.now();
        const sends: Promise<void>[] = [];
        for (let i = 0; i < count; i++) {
          const due = start + (i * 1000) / rate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          sentAt.set(stream(i), Date.now());
          sends.push(gql(server.url, REVOKE, { r: `bench-${tag}-r${i % 20}`, u: `u${i}` }));
        }
        await Promise.all(sends);
        const latencies: number[] = [];
        const end = Date.now() + 30_000;
        for (;;) {
          latencies.length = 0;
          for (const c of fake.calls.slice(firstCall)) {
            if (c.action !== "ForbidRTCStreams" || c.code !== 0) continue;
            for (const s of c.streamIds) {
              const t0 = sentAt.get(s);
              if (t0 !== undefined) latencies.push(c.receivedAtMs - t0);
            }
          }
          if (latencies.length >= count || Date.now() > end) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const calls = fake.calls.slice(firstCall).filter((c) => c.action === "ForbidRTCStreams" && c.code === 0);
        latencies.sort((x, y) => x - y);
        const lost = count - latencies.length;
        results.push({ mode, rate, p99: percentile(latencies, 99), lost });
        console.log(
          `| ${mode} | ${rate} | ${count}${lost > 0 ? ` (${lost} not received)` : ""} | ${percentile(latencies, 50)} | ${percentile(latencies, 99)} | ${latencies.at(-1) ?? "-"} | ${calls.length} | ${(latencies.length / Math.max(1, calls.length)).toFixed(1)} | ${fake.counts.rateLimited - limitedBefore} |`,
        );
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  await fake.stop();
  await redis.stop();
}
console.log("");
const figures: Record<string, number> = {};
for (const r of results) figures[`${r.mode}${r.rate}P99Ms`] = r.p99;
report("enforcement", figures, [
  ...results.map((r) => ({ name: `revoke -> ForbidRTCStreams p99, ${r.mode}, ${r.rate}/s (ms)`, kind: "max" as const, bound: 100, value: r.p99 })),
  { name: "revokes never forbidden", kind: "max", bound: 0, value: results.reduce((n, r) => n + r.lost, 0) },
]);
