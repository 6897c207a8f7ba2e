import { randomBytes } from "node:crypto";
import type { RedisTarget } from "../config/config.js";
import { createEventBus } from "../events/event-bus.js";
import { redisPubSubTransport } from "../events/redis-transport.js";
import { shardedPubSubTransport } from "../events/sharded-redis-transport.js";
import type { Logger } from "../log/logger.js";
import { createRedisClusterConnection } from "../redis/cluster-connection.js";
import { closeRedis, connectSoon, createRedisConnection, type RedisClient } from "../redis/connection.js";
import { createShardSubscriber } from "../redis/shard-subscriber.js";
import { createRedisRoomStore } from "../rooms/redis-store.js";
import type { EventBus } from "../events/bus.js";
import type { Backends } from "./backend-profile.js";
import { createRedisEnforcementStore } from "../enforcement/redis-store.js";

/** Options of {@link createRedisBackends}. */
export interface RedisBackendsOptions {
  readonly target: RedisTarget;
  readonly prefix: string;
  readonly logger: Logger;
  /** Names this instance's connections in CLIENT LIST (`<name>-commands`, `<name>-subscriber`); default random. */
  readonly clientName?: string;
  /** Replicas that must confirm each room change (`WAIT`); default 0. */
  readonly waitReplicas?: number;
  /** History entries kept per room; default 1000. */
  readonly historyLength?: number;
  /** Stamps history entries made without a time; default Date.now. */
  readonly now?: () => number;
}

const CONNECT_WAIT_MS = 3000;

/**
 * Redis store and bus. One Redis or Sentinel: two connections, one for commands and PUBLISH, one in
 * subscriber mode. Cluster: one cluster connection for commands and SPUBLISH, and per-primary
 * subscriber connections for sharded pub/sub. The bus owns (and closes) its subscriber connections;
 * the command connection, shared by store, bus, enforcement queue and rate limits, closes last, in `stop`.
 */
export async function createRedisBackends(options: RedisBackendsOptions): Promise<Backends> {
  const { target, prefix, logger } = options;
  const name = options.clientName ?? `zts-${randomBytes(4).toString("hex")}`;
  let commands: RedisClient;
  let bus: EventBus;
  if (target.kind === "cluster") {
    const cluster = createRedisClusterConnection({ nodes: target.nodes, role: "commands", name: `${name}-commands`, logger });
    commands = cluster;
    if (!(await connectSoon(cluster, CONNECT_WAIT_MS))) logger.warn("redis cluster is not reachable yet; retrying in the background");
    bus = createEventBus({
      transport: shardedPubSubTransport({
        publisher: cluster,
        subscriber: (handlers) => createShardSubscriber({ cluster, name: `${name}-subscriber`, logger, ...handlers }),
        prefix,
      }),
      logger,
    });
  } else {
    const command = createRedisConnection({ target, role: "commands", name: `${name}-commands`, logger, offlineQueue: false });
    const subscriber = createRedisConnection({ target, role: "subscriber", name: `${name}-subscriber`, logger, offlineQueue: true });
    commands = command;
    const [a, b] = await Promise.all([connectSoon(command, CONNECT_WAIT_MS), connectSoon(subscriber, CONNECT_WAIT_MS)]);
    if (!a || !b) logger.warn("redis is not reachable yet; retrying in the background");
    bus = createEventBus({ transport: redisPubSubTransport({ publisher: command, subscriber, prefix, logger }), logger });
  }
  const store = createRedisRoomStore({
    redis: commands,
    prefix,
    waitReplicas: options.waitReplicas ?? 0,
    ...(options.historyLength === undefined ? {} : { historyLength: options.historyLength }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    kind: "redis",
    redis: commands,
    store,
    bus,
    createEnforcementStore: () => createRedisEnforcementStore({ redis: commands, prefix }),
    async stop() {
      await Promise.allSettled([bus.stop(), store.stop()]);
      await closeRedis(commands);
    },
  };
}
