import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../log/logger.js";
import type { Backends } from "./backend-profile.js";
import { createMemoryBackends } from "./memory-backends.js";

export type { Backends } from "./backend-profile.js";

/** Options of {@link createBackends}. */
export interface CreateBackendsOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names this instance's Redis connections. */
  readonly clientName?: string;
}

/**
 * The one place that decides "memory or Redis": in memory without a Redis target (REDIS_URL,
 * REDIS_CLUSTER_NODES or REDIS_SENTINELS). ioredis is loaded only for Redis.
 */
export async function createBackends(options: CreateBackendsOptions): Promise<Backends> {
  const { config, clock, logger } = options;
  if (config.redis === undefined) return createMemoryBackends({ clock, logger, historyLength: config.roomHistoryLength });
  const { createRedisBackends } = await import("./redis-backends.js");
  return createRedisBackends({
    target: config.redis,
    prefix: config.redisPrefix,
    waitReplicas: config.redisWaitReplicas,
    historyLength: config.roomHistoryLength,
    now: () => clock.now(),
    logger,
    ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
  });
}
