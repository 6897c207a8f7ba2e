import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { HostPort } from "../config/values.js";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { withTimeout } from "../util/timeout.js";

/** A command connection: one Redis (direct or through Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** One Redis by URL, or the primary a set of sentinels names. */
export type NodeTarget =
  | { readonly kind: "single"; readonly url: string }
  | { readonly kind: "sentinel"; readonly sentinels: readonly HostPort[]; readonly name: string };

/** Options of {@link createRedisConnection}. */
export type RedisConnectionOptions = ConnectionSettings & { readonly target: NodeTarget };

/** What every connection needs besides its target. */
export interface ConnectionSettings {
  /** Name for logs: "commands" or "subscriber". */
  readonly role: string;
  /** CLIENT SETNAME value, so operators (and fault tests) can tell connections apart. */
  readonly name: string;
  readonly logger: Logger;
  /**
   * Queue commands while reconnecting. Off for the command connection, so writes during an outage fail
   * at once with UNAVAILABLE instead of waiting; on for the subscriber, whose SUBSCRIBEs may wait.
   */
  readonly offlineQueue: boolean;
}

/** Per-command timeout of command connections. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Connection settings shared by every node connection (single, sentinel, cluster nodes). */
export function nodeOptions(name: string, offlineQueue: boolean): RedisOptions {
  return {
    lazyConnect: true,
    keepAlive: 10_000,
    enableOfflineQueue: offlineQueue,
    maxRetriesPerRequest: offlineQueue ? null : 0,
    commandTimeout: offlineQueue ? undefined : COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    autoResubscribe: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    connectionName: name,
    // Commands issued in the same turn of the event loop (a turn change records hundreds of issued
    // tokens at once) leave in one write and are parsed from one read.
    enableAutoPipelining: !offlineQueue,
    // A SUBSCRIBE issued while a subscriber connection is (re)connecting is written during the handshake,
    // which makes the ready check's INFO fail and drops the connection; subscribers skip the check.
    ...(offlineQueue ? { enableReadyCheck: false, disableClientInfo: true } : {}),
  };
}

/** Logs a connection's errors at most once a second, never with its address (a URL may hold a password). */
export function logConnectionErrors(emitter: Redis | Cluster, role: string, logger: Logger): void {
  let lastLog = 0;
  emitter.on("error", (e: unknown) => {
    const now = Date.now();
    if (now - lastLog < 1000) return;
    lastLog = now;
    logger.warn("redis connection error", { role, error: errorName(e) });
  });
}

/**
 * An ioredis connection with keep-alive, fast reconnects, and an `error` listener that logs without
 * secrets. Through Sentinel it always talks to the current primary: after a failover it reconnects to
 * the promoted one (and re-subscribes).
 */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const base = nodeOptions(options.name, options.offlineQueue);
  const { target } = options;
  const redis =
    target.kind === "single"
      ? new Redis(target.url, base)
      : new Redis({
          ...base,
          sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
          name: target.name,
          role: "master",
          // ioredis's failoverDetector left the command connection unable to reach the promoted primary in
          // about half of our Sentinel failover tests; reconnecting through the sentinels on the dropped
          // connection (the retry strategy above) follows every failover within a second or two.
          failoverDetector: false,
          sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
          sentinelCommandTimeout: 1000,
        });
  logConnectionErrors(redis, options.role, options.logger);
  return redis;
}

/** Runs a Redis call, turning any failure into {@link UnavailableError}. */
export async function unavailableOnFailure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof UnavailableError) throw e;
    throw new UnavailableError("shared state is unavailable, try again", { cause: e });
  }
}

/** Connects, waiting at most `timeoutMs`; a Redis that is down at start is retried in the background. */
export async function connectSoon(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(redis.connect(), timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/** Closes a connection, forcing it if QUIT does not answer. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === "end") return;
  try {
    if (redis.status === "ready") await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 500))]);
  } catch {
    // Closing anyway.
  }
  redis.disconnect(false);
}
