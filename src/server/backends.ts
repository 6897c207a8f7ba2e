import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import type { EventBus } from "../events/bus.js";
import { createMemoryEventBus } from "../events/memory-bus.js";
import type { Logger } from "../log/logger.js";
import type { RedisClient } from "../redis/connection.js";
import { createMemoryRoomStore } from "../rooms/memory-store.js";
import type { RoomStore } from "../rooms/store.js";

/** The I/O parts a server runs on. */
export interface Backends {
  readonly store: RoomStore;
  readonly bus: EventBus;
  /** "memory" or "redis", for logs and health output. */
  readonly kind: "memory" | "redis";
  /** The command connection, for rate limits shared across instances (Redis only). */
  readonly redis?: RedisClient;
}

/** Options of {@link createBackends}. */
export interface CreateBackendsOptions {
  /** Names this instance's Redis connections. */
  readonly clientName?: string;
}

/** Picks the store and bus for the configuration: in memory without a Redis target (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS). */
export async function createBackends(config: Config, clock: Clock, logger: Logger, options: CreateBackendsOptions = {}): Promise<Backends> {
  if (config.redis !== undefined) {
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
  return { store: createMemoryRoomStore({ clock, historyLength: config.roomHistoryLength }), bus: createMemoryEventBus({ logger }), kind: "memory" };
}
