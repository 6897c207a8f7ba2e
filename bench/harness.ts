import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/redis.js";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The service's entry as it ships: the compiled `dist/cli/start.js` (what `zego-token-service` runs),
 * built once per benchmark process by {@link buildService}. Benchmarking the TypeScript sources through
 * tsx would add its transform's runtime helpers (e.g. a `__name` call per closure created).
 */
export const SERVICE_ENTRY = "dist/cli/start.js";

let built: Promise<void> | undefined;
/** Builds the service (`npm run build`) once; benchmarks call it before starting instances. */
export function buildService(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`))));
  });
  return built;
}

/** Credentials the benchmark servers run with. */
export const BENCH_ENV = {
  NODE_ENV: "production",
  ZEGO_APP_ID: "123456789",
  ZEGO_SERVER_SECRET: "benchSECRETbenchSECRETbenchSECRE",
  AUTH_JWT_SECRET: "benchJWTsecretbenchJWTsecretbenchJWT",
  SERVICE_API_KEYS: "bench-service-key-0001",
  ISSUE_RATE_LIMIT_PER_MINUTE: "1000000",
  AUTH_FAILURE_LIMIT_PER_MINUTE: "1000000",
  LOG_LEVEL: "warn",
  HOST: "127.0.0.1",
} as const;


const LIMIT_SETTINGS = [
  "NODE_ENV",
  "ISSUE_RATE_LIMIT_PER_MINUTE",
  "AUTH_FAILURE_LIMIT_PER_MINUTE",
  "MAX_CONNECTIONS_PER_IP",
  "MAX_SUBSCRIPTIONS_PER_USER",
  "TOKEN_TTL_SECONDS",
  "REDIS_WAIT_REPLICAS",
  "ZEGO_ENFORCE",
] as const;

/**
 * The line every benchmark prints about the configuration its instances ran with: the limits a
 * deployment taking this load from one address would raise (all through configuration), and defaults
 * for the rest.
 */
export function settingsLine(env: Readonly<Record<string, string | undefined>>): string {
  const set = LIMIT_SETTINGS.filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`);
  const unset = LIMIT_SETTINGS.filter((k) => env[k] === undefined);
  return `# settings: ${set.join(", ")}${unset.length > 0 ? `; defaults for ${unset.join(", ")}` : ""}`;
}

/** How a benchmark child is started besides its env. */
export interface SpawnOptions {
  /**
   * Open-file limit (soft and hard) for the child, set through `prlimit`: tens of thousands of sockets
   * need more than a shell's default, and only the benchmark's children should get it.
   */
  readonly nofile?: number;
  /**
   * Runs a built `.js` entry with node alone, as production does (`dist/`): under tsx every function
   * our source creates carries a name set by esbuild's keepNames, which costs memory per closure.
   */
  readonly plain?: boolean;
}

function spawnEntry(args: readonly string[], env: Record<string, string>, stdin: "ignore" | "pipe", options: SpawnOptions): ChildProcess {
  const node = [process.execPath, ...args];
  // prlimit execs node in place, so the child's pid is node's (for /proc/<pid>/status).
  const [command, ...rest] = options.nofile === undefined ? node : ["prlimit", `--nofile=${options.nofile}:${options.nofile}`, "--", ...node];
  return spawn(command as string, rest, {
    cwd: ROOT,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
    stdio: [stdin, "pipe", "inherit"],
  });
}

/** Sends a game-server request (the benchmark's API key) to an instance; throws on GraphQL errors. */
export async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": BENCH_ENV.SERVICE_API_KEYS },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: unknown };
  if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
}

/** A child process running a TypeScript entry of this repository. */
export interface BenchProcess {
  readonly proc: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts an entry (tsx) with env and PORT, and waits until `/healthz` (or READY on stdout) answers. */
export async function startProcess(entry: string, env: Record<string, string>, nodeArgs: string[] = [], options: SpawnOptions = {}): Promise<BenchProcess> {
  // The compiled service runs with node alone, as it ships.
  if (entry === SERVICE_ENTRY) {
    await buildService();
    options = { ...options, plain: true };
  }
  const port = await freePort();
  const proc = spawnEntry([...nodeArgs, ...(options.plain === true ? [] : ["--import", "tsx"]), entry], { ...env, PORT: String(port) }, "ignore", options);
  let ready = false;
  // BENCH_SERVER_STDOUT=<file> keeps what the servers print (e.g. with --trace-gc) for diagnosis.
  const keep = process.env["BENCH_SERVER_STDOUT"];
  proc.stdout?.on("data", (d: Buffer) => {
    if (d.toString().includes("READY")) ready = true;
    if (keep !== undefined) appendFileSync(keep, d);
  });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    if (ready) break;
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > end || proc.exitCode !== null) throw new Error(`${entry} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    url,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Prints the machine line every benchmark starts with. */
export async function machineLine(): Promise<string> {
  const os = await import("node:os");
  return `node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}`;
}

/** A load-generator child that prints JSON lines. */
export interface LineProcess {
  readonly proc: ChildProcess;
  /** Resolves with the first line whose `type` matches. */
  waitFor(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every line received so far. */
  readonly lines: Array<Record<string, unknown>>;
  /**
   * Expects a `push` line for `user` with `canPublish`: call it before sending the change, then await
   * `arrived(timeoutMs)`, the push's arrival time (`undefined` if none came within `timeoutMs` of the
   * call). Lines are matched as they arrive, so hundreds of changes in flight cost nothing while they wait.
   */
  expectPush(user: string, canPublish: boolean): { arrived(timeoutMs: number): Promise<number | undefined> };
  stop(): Promise<void>;
}

/** Starts a TypeScript entry that reports JSON lines on stdout. */
export function startLines(entry: string, env: Record<string, string>, options: SpawnOptions & { readonly nodeArgs?: readonly string[] } = {}): LineProcess {
  const proc = spawnEntry([...(options.nodeArgs ?? []), "--import", "tsx", entry], env, "pipe", options);
  const lines: Array<Record<string, unknown>> = [];
  // Waiters for push lines, by user and right, oldest first.
  const waiters = new Map<string, Array<(at: number) => void>>();
  let rest = "";
  proc.stdout?.on("data", (d: Buffer) => {
    rest += d.toString();
    const parts = rest.split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) {
      if (p.trim() === "") continue;
      const line = JSON.parse(p) as Record<string, unknown>;
      lines.push(line);
      if (line["type"] !== "push") continue;
      const key = `${String(line["user"])}\u0000${String(line["canPublish"])}`;
      const list = waiters.get(key);
      if (list === undefined) continue;
      waiters.delete(key);
      for (const resolve of list) resolve(Number(line["at"]));
    }
  });
  return {
    proc,
    lines,
    expectPush(user, canPublish) {
      const key = `${user}\u0000${String(canPublish)}`;
      const arrival = new Promise<number>((resolve) => {
        const list = waiters.get(key) ?? [];
        list.push(resolve);
        waiters.set(key, list);
      });
      return {
        arrived: (timeoutMs) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
          return Promise.race([arrival, late]).finally(() => clearTimeout(timer));
        },
      };
    },
    async waitFor(type, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => l["type"] === type);
        if (hit !== undefined) return hit;
        if (Date.now() > end || proc.exitCode !== null) throw new Error(`${entry} never reported ${type}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.stdin?.end();
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Clock ticks per second of /proc's CPU times. */
export const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** User and system CPU time a process has used so far, in ms, from /proc (Linux); NaN when unknown. */
export function procCpu(pid: number | undefined): { userMs: number; systemMs: number } {
  try {
    if (pid === undefined) throw new Error("no pid");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { userMs: (Number(fields[11]) * 1000) / CLK_TCK, systemMs: (Number(fields[12]) * 1000) / CLK_TCK };
  } catch {
    return { userMs: Number.NaN, systemMs: Number.NaN };
  }
}

/** CPU time (user + system) a process has used so far, in ms; NaN when unknown. */
export function cpuMs(pid: number | undefined): number {
  const { userMs, systemMs } = procCpu(pid);
  return userMs + systemMs;
}

/** Resident set size of a process, in bytes (VmRSS from /proc; Linux only). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/** Reads one sample of a Prometheus metric from `/metrics`. */
export async function scrape(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(" ").pop() ?? Number.NaN);
}
