import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** A redis-server started by a test on a free port. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** A plain client for inspecting and fault injection (closed by stop). */
  readonly admin: Redis;
  /** SIGKILLs the server (data survives only through AOF). */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT = "redis-server is not installed: install it with `apt-get install -y redis-server` (Debian/Ubuntu) and run the tests again";

/** Fails with an install hint when redis-server is missing; tests must never skip for it. */
export function assertRedisServerInstalled(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8", env });
  if (probe.error !== undefined || probe.status !== 0) throw new Error(INSTALL_HINT);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Starts `redis-server` on a free port, with AOF when asked (for restart tests). */
export async function startRedis(options: { aof?: boolean } = {}): Promise<TestRedis> {
  assertRedisServerInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "zts-redis-"));
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no", "--loglevel", "warning"];
    args.push("--appendonly", options.aof === true ? "yes" : "no");
    if (options.aof === true) args.push("--appendfsync", "always");
    proc = spawn("redis-server", args, { stdio: "ignore" });
    proc.once("error", () => undefined);
    await waitForPing(port);
  };
  await launch();
  const admin = new Redis({ port, host: "127.0.0.1", retryStrategy: (n) => Math.min(n * 50, 500), maxRetriesPerRequest: null });
  admin.on("error", () => undefined);
  const killProc = async () => {
    const p = proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    admin,
    kill: killProc,
    restart: launch,
    async stop() {
      admin.disconnect();
      await killProc();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
