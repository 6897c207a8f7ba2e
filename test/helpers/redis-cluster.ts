import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { assertRedisServerInstalled, freePort } from "./redis.js";

/** One redis-server (or sentinel) process started by a test. */
export interface RedisProcess {
  readonly port: number;
  /** `127.0.0.1:port`. */
  readonly address: string;
  /** A plain client to this process (reconnects after a restart; closed by the owner's stop). */
  readonly admin: Redis;
  /** SIGKILLs the process. */
  kill(): Promise<void>;
  /** True until killed. */
  alive(): boolean;
  /** Starts a killed process again on the same port and config (a cluster node rejoins, a sentinel-managed one is re-pointed). */
  restart(): Promise<void>;
}

/** A 3-primary, 3-replica Redis Cluster on loopback. */
export interface TestRedisCluster {
  readonly nodes: readonly RedisProcess[];
  /** `REDIS_CLUSTER_NODES` value: every node as host:port. */
  readonly nodesEnv: string;
  /** The live primary that serves the slot of `key` (asked of the cluster, not cached). */
  primaryFor(key: string): Promise<RedisProcess>;
  /** Every live primary. */
  primaries(): Promise<RedisProcess[]>;
  /** Resolves once a live primary other than `old` serves `key`'s slot and the cluster state is ok. */
  waitForPromotion(key: string, old: RedisProcess, timeoutMs?: number): Promise<RedisProcess>;
  stop(): Promise<void>;
}

/** A primary, a replica and three sentinels on loopback. */
export interface TestRedisSentinel {
  /** The monitored set's name (`REDIS_SENTINEL_NAME`). */
  readonly name: string;
  /** `REDIS_SENTINELS` value. */
  readonly sentinelsEnv: string;
  /** The two data nodes, the first started as primary. */
  readonly dataNodes: readonly RedisProcess[];
  readonly sentinels: readonly RedisProcess[];
  /** The data node the sentinels name as primary now. */
  primary(): Promise<RedisProcess>;
  /** Resolves once the sentinels name a live primary other than `old` and it accepts writes. */
  waitForPromotion(old: RedisProcess, timeoutMs?: number): Promise<RedisProcess>;
  stop(): Promise<void>;
}

const CLI_HINT = "redis-cli is not installed: install it with `apt-get install -y redis-tools` (Debian/Ubuntu) and run the tests again";

function assertRedisCliInstalled(): void {
  const probe = spawnSync("redis-cli", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) throw new Error(CLI_HINT);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await sleep(50);
  }
}

function adminClient(port: number): Redis {
  const admin = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: (n) => Math.min(n * 50, 300), maxRetriesPerRequest: 1, enableOfflineQueue: true });
  admin.on("error", () => undefined);
  return admin;
}

/** Spawns a server with a config file (so `CONFIG REWRITE` and sentinel state work) and waits for PING. */
async function spawnRedis(port: number, dir: string, config: string, sentinel: boolean): Promise<RedisProcess> {
  const file = join(dir, `redis-${port}.conf`);
  writeFileSync(file, config);
  const args = sentinel ? [file, "--sentinel"] : [file];
  const admin = adminClient(port);
  let proc: ChildProcess | undefined;
  let dead = true;
  const launch = async () => {
    const p = spawn("redis-server", args, { stdio: "ignore" });
    proc = p;
    dead = false;
    p.once("error", () => undefined);
    p.once("exit", () => {
      if (proc === p) dead = true;
    });
    await until(`redis on port ${port}`, 10_000, async () => {
      if (dead) throw new Error(`redis-server on port ${port} exited`);
      if (admin.status === "wait") await admin.connect();
      return (await admin.ping()) === "PONG" ? true : undefined;
    });
  };
  await launch();
  return {
    port,
    address: `127.0.0.1:${port}`,
    admin,
    alive: () => !dead,
    async kill() {
      const p = proc;
      if (dead || p === undefined) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await exited;
    },
    async restart() {
      if (!dead) throw new Error(`redis-server on port ${port} is still running`);
      await launch();
    },
  };
}

const COMMON = (port: number, dir: string) => `port ${port}
bind 127.0.0.1
dir ${dir}
save ""
appendonly no
daemonize no
loglevel warning
repl-diskless-sync yes
repl-diskless-sync-delay 0
`;

/**
 * Starts six `redis-server --cluster-enabled yes` on free ports (each with its own free bus port, so no
 * port+10000 overflow) and joins them with `redis-cli --cluster create --cluster-replicas 1`.
 * `nodeTimeoutMs` is cluster-node-timeout: failure detection, and so failover, takes about twice that.
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  assertRedisServerInstalled();
  assertRedisCliInstalled();
  const nodeTimeout = options.nodeTimeoutMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), "zts-cluster-"));
  const ports: number[] = [];
  while (ports.length < 12) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const nodes = await Promise.all(
    Array.from({ length: 6 }, (_, i) => {
      const port = ports[i]!;
      const config = `${COMMON(port, dir)}cluster-enabled yes
cluster-config-file nodes-${port}.conf
cluster-port ${ports[i + 6]!}
cluster-node-timeout ${nodeTimeout}
cluster-replica-validity-factor 0
cluster-require-full-coverage no
cluster-allow-reads-when-down no
`;
      return spawnRedis(port, dir, config, false);
    }),
  );
  const stop = async () => {
    for (const n of nodes) n.admin.disconnect();
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const create = spawnSync("redis-cli", ["--cluster", "create", ...nodes.map((n) => n.address), "--cluster-replicas", "1", "--cluster-yes"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    // Ready when every node sees the cluster ok, and every replica has its primary's data link up
    // (so WAIT in tests counts it from the start).
    await until("the cluster to be ok with replicas in sync", 20_000, async () => {
      for (const n of nodes) {
        const info = (await n.admin.cluster("INFO")) as string;
        if (!info.includes("cluster_state:ok")) return undefined;
        const repl = await n.admin.info("replication");
        if (repl.includes("role:slave") && !repl.includes("master_link_status:up")) return undefined;
      }
      return true;
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const byPort = (port: number) => nodes.find((n) => n.port === port);
  const slotOwner = async (key: string): Promise<RedisProcess | undefined> => {
    for (const n of nodes) {
      if (!n.alive()) continue;
      try {
        const slot = (await n.admin.cluster("KEYSLOT", key)) as number;
        const ranges = await n.admin.cluster("SLOTS");
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        const primary = range?.[2];
        return primary === undefined ? undefined : byPort(primary[1]);
      } catch {
        // Ask the next node.
      }
    }
    return undefined;
  };
  const isWritablePrimary = async (n: RedisProcess) => {
    if (!n.alive()) return false;
    const repl = await n.admin.info("replication");
    const info = (await n.admin.cluster("INFO")) as string;
    return repl.includes("role:master") && info.includes("cluster_state:ok");
  };
  return {
    nodes,
    nodesEnv: nodes.map((n) => n.address).join(","),
    primaryFor: (key) => until(`the primary of ${key}`, 5000, () => slotOwner(key)),
    async primaries() {
      const out: RedisProcess[] = [];
      for (const n of nodes) if (n.alive() && (await n.admin.info("replication")).includes("role:master")) out.push(n);
      return out;
    },
    waitForPromotion: (key, old, timeoutMs = 20_000) =>
      until(`a new primary for ${key}`, timeoutMs, async () => {
        const owner = await slotOwner(key);
        return owner !== undefined && owner !== old && (await isWritablePrimary(owner)) ? owner : undefined;
      }),
    stop,
  };
}

/**
 * Starts a primary, a replica of it, and three sentinels (quorum 2) on free ports. `downAfterMs` is
 * down-after-milliseconds: failover begins about that long after the primary dies.
 */
export async function startRedisSentinel(options: { downAfterMs?: number; name?: string } = {}): Promise<TestRedisSentinel> {
  assertRedisServerInstalled();
  const name = options.name ?? "zts-primary";
  const downAfter = options.downAfterMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), "zts-sentinel-"));
  const [p1, p2, s1, s2, s3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const started: RedisProcess[] = [];
  const stop = async () => {
    for (const n of started) n.admin.disconnect();
    await Promise.all(started.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await spawnRedis(p1!, dir, COMMON(p1!, dir), false);
    started.push(primary);
    const replica = await spawnRedis(p2!, dir, `${COMMON(p2!, dir)}replicaof 127.0.0.1 ${p1!}\n`, false);
    started.push(replica);
    await until("the replica to sync", 10_000, async () => ((await replica.admin.info("replication")).includes("master_link_status:up") ? true : undefined));
    const sentinels: RedisProcess[] = [];
    for (const port of [s1!, s2!, s3!]) {
      const config = `port ${port}
bind 127.0.0.1
dir ${dir}
daemonize no
loglevel warning
sentinel monitor ${name} 127.0.0.1 ${p1!} 2
sentinel down-after-milliseconds ${name} ${downAfter}
sentinel failover-timeout ${name} 3000
sentinel parallel-syncs ${name} 1
`;
      const s = await spawnRedis(port, dir, config, true);
      started.push(s);
      sentinels.push(s);
    }
    // Sentinels must know the replica and each other before a failover can win a quorum.
    await until("the sentinels to discover each other and the replica", 15_000, async () => {
      for (const s of sentinels) {
        const master = (await s.admin.call("SENTINEL", "MASTER", name)) as string[];
        const field = (f: string) => master[master.indexOf(f) + 1];
        if (field("num-slaves") !== "1" || field("num-other-sentinels") !== "2") return undefined;
      }
      return true;
    });
    const dataNodes = [primary, replica];
    const named = async (): Promise<RedisProcess | undefined> => {
      for (const s of sentinels) {
        if (!s.alive()) continue;
        const addr = (await s.admin.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as [string, string] | null;
        if (addr !== null) return dataNodes.find((n) => n.port === Number(addr[1]));
      }
      return undefined;
    };
    return {
      name,
      sentinelsEnv: sentinels.map((s) => s.address).join(","),
      dataNodes,
      sentinels,
      primary: () => until("the sentinels to name a primary", 5000, named),
      waitForPromotion: (old, timeoutMs = 20_000) =>
        until("a new primary", timeoutMs, async () => {
          const p = await named();
          if (p === undefined || p === old || !p.alive()) return undefined;
          return (await p.admin.info("replication")).includes("role:master") ? p : undefined;
        }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
