// Benchmark 3: N concurrent graphql-ws tokenRenewed subscriptions on one instance, with the clients in
// two other processes. Reports server RSS and heap per subscription and the time to connect them all.
import { readProcessEnv } from "../src/config/env.js";
import { BENCH_ENV, SERVICE_ENTRY, machineLine, scrape, startLines, startProcess } from "./harness.js";
import { sizeFromEnv } from "./measure.js";

const env = readProcessEnv();
const total = sizeFromEnv(env, "BENCH_SUBSCRIPTIONS", 10_000);
const clientProcesses = 2;

const service = await startProcess(SERVICE_ENTRY, { ...BENCH_ENV, TOKEN_TTL_SECONDS: "3600" });
try {
  const wsUrl = `${service.url.replace(/^http/, "ws")}/graphql`;
  // A few subscriptions first, so the baseline includes warmed-up code and caches.
  const warm = startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: wsUrl, SUBSCRIBERS: "50", USER_OFFSET: "900000" });
  await warm.waitFor("connected");
  await new Promise((r) => setTimeout(r, 1000));
  const rss0 = await scrape(service.url, "process_resident_memory_bytes");
  const heap0 = await scrape(service.url, "nodejs_heap_size_used_bytes");

  const per = Math.ceil(total / clientProcesses);
  const clients = Array.from({ length: clientProcesses }, (_, i) =>
    startLines("bench/clients/subscribers.ts", { ...BENCH_ENV, WS_URLS: wsUrl, SUBSCRIBERS: String(per), USER_OFFSET: String(i * per) }),
  );
  const connected = await Promise.all(clients.map((c) => c.waitFor("connected", 300_000)));
  await new Promise((r) => setTimeout(r, 2000));
  const active = await scrape(service.url, "zts_active_subscriptions");
  const rss1 = await scrape(service.url, "process_resident_memory_bytes");
  const heap1 = await scrape(service.url, "nodejs_heap_size_used_bytes");
  const n = per * clientProcesses;
  console.log(`# ${n} live tokenRenewed subscriptions on one instance: ${await machineLine()}`);
  console.log(`# clients: ${clientProcesses} processes x ${per} graphql-ws connections, one subscription each (INITIAL token minted for each)`);
  console.log("| measure | value |");
  console.log("|---|---:|");
  console.log(`| subscriptions active (zts_active_subscriptions) | ${active - 50} (+50 warm-up) |`);
  console.log(`| time to connect all and receive every INITIAL token | ${Math.max(...connected.map((c) => Number(c["ms"])))} ms |`);
  console.log(`| server RSS before / after | ${(rss0 / 2 ** 20).toFixed(1)} MiB / ${(rss1 / 2 ** 20).toFixed(1)} MiB |`);
  console.log(`| server heap used before / after | ${(heap0 / 2 ** 20).toFixed(1)} MiB / ${(heap1 / 2 ** 20).toFixed(1)} MiB |`);
  console.log(`| RSS per subscription | ${((rss1 - rss0) / n / 1024).toFixed(1)} KiB |`);
  console.log(`| heap per subscription | ${((heap1 - heap0) / n / 1024).toFixed(1)} KiB |`);
  console.log(`\nRSS per subscription = ${((rss1 - rss0) / n / 1024).toFixed(1)} KiB (goal <= 40 KiB)`);
  await Promise.all([...clients, warm].map((c) => c.stop()));
} finally {
  await service.stop();
}
