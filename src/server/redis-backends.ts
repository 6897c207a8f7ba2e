import { randomBytes } from "node:crypto";
import { createRedisEventBus } from "../events/redis-bus.js";
import type { Logger } from "../log/logger.js";
import { closeRedis, connectSoon, createRedisConnection } from "../redis/connection.js";
import { createRedisRoomStore } from "../rooms/redis-store.js";
import type { Backends } from "./backends.js";

/** Options of {@link createRedisBackends}. */
export interface RedisBackendsOptions {
  readonly url: string;
  readonly prefix: string;
  readonly logger: Logger;
  /** Names this instance's connections in CLIENT LIST (`<name>-commands`, `<name>-subscriber`); default random. */
  readonly clientName?: string;
}

const CONNECT_WAIT_MS = 3000;

/**
 * Redis store and bus on two connections: one for commands and PUBLISH, one in subscriber mode.
 * Stopping the store closes both.
 */
export async function createRedisBackends(options: RedisBackendsOptions): Promise<Backends> {
  const { url, prefix, logger } = options;
  const name = options.clientName ?? `zts-${randomBytes(4).toString("hex")}`;
  const commands = createRedisConnection({ url, role: "commands", name: `${name}-commands`, logger, offlineQueue: false });
  const subscriber = createRedisConnection({ url, role: "subscriber", name: `${name}-subscriber`, logger, offlineQueue: true });
  const [a, b] = await Promise.all([connectSoon(commands, CONNECT_WAIT_MS), connectSoon(subscriber, CONNECT_WAIT_MS)]);
  if (!a || !b) logger.warn("redis is not reachable yet; retrying in the background");
  const store = createRedisRoomStore({ redis: commands, prefix });
  const bus = createRedisEventBus({ publisher: commands, subscriber, prefix, logger });
  return {
    kind: "redis",
    redis: commands,
    store: {
      ...store,
      async stop() {
        await Promise.all([closeRedis(commands), closeRedis(subscriber)]);
      },
    },
    bus,
  };
}
