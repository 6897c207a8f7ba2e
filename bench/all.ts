// Runs every benchmark at its default size, one after another, each in its own process.
import { spawnSync } from "node:child_process";
import { ROOT } from "./harness.js";

const benches = ["codec", "http-issue", "subscriptions", "cross-instance", "renewal-storm", "enforcement", "cluster-latency"];
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", `bench/${name}.ts`], { cwd: ROOT, stdio: "inherit", env: process.env });
  if (r.status !== 0) console.log(`(bench ${name} exited with ${r.status ?? r.signal})`);
}
