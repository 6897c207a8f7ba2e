// Benchmark 5: N subscriptions whose tokens all expire in the same second. Builds the service through
// its composition root (memory backends, never listening) under a virtual clock (the schedule is what is
// measured, so no hour of waiting), and reports how the EXPIRING renewals spread over time and how early they come.
import { createManualClock } from "../src/clock/clock.js";
import { loadConfig } from "../src/config/config.js";
import { readProcessEnv } from "../src/config/env.js";
import type { TokenRenewal } from "../src/renewal/renewal-stream.js";
import { createTokenServer } from "../src/server/create-server.js";
import { createMemoryBackends } from "../src/server/memory-backends.js";
import { machineLine } from "./harness.js";
import { sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const n = sizeFromEnv(env, "BENCH_STORM_SUBSCRIPTIONS", 10_000);
const lead = sizeFromEnv(env, "BENCH_STORM_LEAD", 60);
const jitter = sizeFromEnv(env, "BENCH_STORM_JITTER", 30);
const ttl = 3600;

const clock = createManualClock(Date.UTC(2026, 10, 28, 12, 0, 0));
const config = loadConfig({
  ZEGO_APP_ID: "1",
  ZEGO_SERVER_SECRET: "0123456789abcdef0123456789abcdef",
  TOKEN_TTL_SECONDS: String(ttl),
  TOKEN_RENEW_LEAD_SECONDS: String(lead),
  TOKEN_RENEW_JITTER_SECONDS: String(jitter),
});
const server = await createTokenServer({ config, clock, backends: createMemoryBackends({ clock }) });
const hub = server.hub;

// Everyone joins in the same second, so every token expires in the same second.
const streams = await Promise.all(Array.from({ length: n }, (_, i) => hub.subscribe(`u${i}`, `room-${i % 100}`)));
const first = await Promise.all(streams.map((s) => s.next()));
const expiresAt = (first[0]!.value as TokenRenewal).token.expiresAt;
const sameSecond = first.every((r) => (r.value as TokenRenewal).token.expiresAt === expiresAt);

const perSecond = new Map<number, number>();
let minLeadMs = Number.POSITIVE_INFINITY;
let renewed = 0;
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
const waiting = streams.map((s) =>
  s.next().then((r) => {
    const push = r.value as TokenRenewal;
    if (push.reason !== "EXPIRING") throw new Error(`unexpected ${push.reason}`);
    const at = clock.now();
    minLeadMs = Math.min(minLeadMs, expiresAt * 1000 - at);
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    renewed++;
  }),
);
// Walk virtual time to the expiry second by second, letting each second's renewals run.
while (clock.now() < expiresAt * 1000) {
  clock.advance(1000);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}
await Promise.all(waiting);
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - wallStart;

const counts = [...perSecond.values()];
const busiest = Math.max(...counts);
const average = renewed / perSecond.size;
console.log(`# renewal storm: ${await machineLine()}`);
console.log(`# ${n} subscriptions, tokens issued in one second (TTL ${ttl}s, all expire in the same second: ${sameSecond}); lead ${lead}s, jitter ${jitter}s; virtual clock`);
console.log("| measure | value |");
console.log("|---|---:|");
console.log(`| renewals (EXPIRING pushes) | ${renewed} |`);
console.log(`| seconds over which they arrive | ${perSecond.size} |`);
console.log(`| average / busiest second | ${average.toFixed(0)} / ${busiest} renewals |`);
console.log(`| busiest / average | ${(busiest / average).toFixed(2)} |`);
console.log(`| smallest lead before expiry | ${(minLeadMs / 1000).toFixed(1)} s |`);
console.log(`| CPU to mint and push all renewals (user+system) | ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (wall ${wallMs.toFixed(0)} ms) |`);
console.log("");
report("renewal-storm", { renewals: renewed, seconds: perSecond.size, average, busiest, minLeadSeconds: minLeadMs / 1000, cpuMs: (cpu.user + cpu.system) / 1000 }, [
  { name: "busiest second / average", kind: "max", bound: 2, value: busiest / average },
  { name: "smallest lead before expiry (s)", kind: "min", bound: 30, value: minLeadMs / 1000 },
]);
await server.stop();
