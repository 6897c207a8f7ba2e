import { Redis, type RedisOptions } from "ioredis";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { withTimeout } from "../util/timeout.js";

/** Options of {@link createRedisConnection}. */
export interface RedisConnectionOptions {
  readonly url: string;
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

const COMMAND_TIMEOUT_MS = 2000;

/** An ioredis connection with keep-alive, fast reconnects, and an `error` listener that logs without secrets. */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    keepAlive: 10_000,
    enableOfflineQueue: options.offlineQueue,
    maxRetriesPerRequest: options.offlineQueue ? null : 0,
    commandTimeout: options.offlineQueue ? undefined : COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    autoResubscribe: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    connectionName: options.name,
  };
  const redis = new Redis(options.url, redisOptions);
  let lastLog = 0;
  redis.on("error", (e: unknown) => {
    // A dead Redis errors on every retry; log at most once a second, and never the URL (it may hold a password).
    const now = Date.now();
    if (now - lastLog < 1000) return;
    lastLog = now;
    options.logger.warn("redis connection error", { role: options.role, error: errorName(e) });
  });
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
export async function connectSoon(redis: Redis, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(redis.connect(), timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/** Closes a connection, forcing it if QUIT does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    if (redis.status === "ready") await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 500))]);
  } catch {
    // Closing anyway.
  }
  redis.disconnect(false);
}
