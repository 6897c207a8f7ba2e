// Runs every benchmark at its default size, one after another, each in its own process, then lists
// the goals each one missed (from the `{"bench":...}` line it ends with). Exits 0 whatever was missed:
// benchmarks report, they do not fail.
import { spawn } from "node:child_process";
import { ROOT } from "./harness.js";

const benches = (process.env["BENCH_ONLY"] ?? "codec,http-issue,subscriptions,cross-instance,turn-change,instance-loss,renewal-storm,enforcement,cluster-latency,client-bundle")
  .split(",")
  .filter((b) => b !== "");

interface Line {
  bench: string;
  goals?: Array<{ name: string; value: number | null; kind: string; bound: number; met: boolean }>;
}

const results: Line[] = [];
const failed: string[] = [];
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  const child = spawn(process.execPath, ["--import", "tsx", `bench/${name}.ts`], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: process.env });
  let rest = "";
  child.stdout.on("data", (d: Buffer) => {
    process.stdout.write(d);
    rest += d.toString();
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) if (l.startsWith('{"bench":')) results.push(JSON.parse(l) as Line);
  });
  const code = await new Promise<number | string>((resolve) => child.on("exit", (c, s) => resolve(c ?? s ?? "?")));
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}

console.log("\n## summary\n");
const missed = results.flatMap((r) => (r.goals ?? []).filter((g) => !g.met).map((g) => `${r.bench}: ${g.name} = ${g.value} (goal ${g.kind === "max" ? "<=" : ">="} ${g.bound})`));
const met = results.reduce((n, r) => n + (r.goals ?? []).filter((g) => g.met).length, 0);
console.log(`${results.length} benchmarks reported, ${met} goals met, ${missed.length} missed`);
for (const m of missed) console.log(`missed: ${m}`);
for (const f of failed) console.log(`did not finish: ${f}`);
