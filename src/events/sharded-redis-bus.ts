import type { Cluster } from "ioredis";
import { errorName, type Logger } from "../log/logger.js";
import { hashTag } from "../redis/key-slot.js";
import { unavailableOnFailure } from "../redis/connection.js";
import type { ShardSubscriber } from "../redis/shard-subscriber.js";
import type { EventBus } from "./bus.js";
import { parseEvent, serializeEvent } from "./event-codec.js";
import { createListenerRegistry } from "./listener-registry.js";

/** Options of {@link createShardedRedisEventBus}. */
export interface ShardedRedisEventBusOptions {
  /** The command cluster, for SPUBLISH. */
  readonly publisher: Cluster;
  /** Creates the subscriber; the bus hands it the message and recovery callbacks. */
  readonly subscriber: (handlers: { onMessage: (channel: string, message: string) => void; onRecovered: () => void }) => ShardSubscriber;
  /** Channel prefix, e.g. `zts`. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** The shard channel of a room: `<prefix>:events:{<roomId>}`, in the slot of the room's keys. */
export function roomShardChannel(prefix: string, roomId: string): string {
  return `${prefix}:events:${hashTag(roomId)}`;
}

/**
 * An {@link EventBus} over Redis Cluster sharded pub/sub: one shard channel per room, tagged with the
 * room so SPUBLISH reaches only the room's shard, subscribed only while this instance has a local
 * listener there. After a shard failover, a dropped connection or a moved slot, resync listeners run
 * once every subscription is confirmed live again.
 */
export function createShardedRedisEventBus(options: ShardedRedisEventBusOptions): EventBus {
  const { publisher, prefix, logger } = options;
  const registry = createListenerRegistry(logger);
  const resync = new Set<() => void>();
  const channelPrefix = `${prefix}:events:{`;
  const channel = (roomId: string) => roomShardChannel(prefix, roomId);

  const subscriber = options.subscriber({
    onMessage(ch, message) {
      if (!ch.startsWith(channelPrefix) || !ch.endsWith("}")) return;
      const roomId = ch.slice(channelPrefix.length, -1);
      const event = parseEvent(message, roomId);
      if (event === undefined) {
        logger.warn("ignored a malformed room event", { roomId });
        return;
      }
      registry.deliver(event);
    },
    onRecovered() {
      for (const listener of [...resync]) {
        try {
          listener();
        } catch (e) {
          logger.error("resync listener failed", { error: errorName(e) });
        }
      }
    },
  });

  return {
    publish: (event) =>
      unavailableOnFailure(async () => {
        await publisher.spublish(channel(event.roomId), serializeEvent(event));
      }),
    async subscribe(roomId, listener) {
      const first = registry.add(roomId, listener);
      if (first) {
        try {
          await unavailableOnFailure(() => subscriber.subscribe(channel(roomId)));
        } catch (e) {
          if (registry.remove(roomId, listener)) subscriber.unsubscribe(channel(roomId));
          throw e;
        }
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        if (registry.remove(roomId, listener)) subscriber.unsubscribe(channel(roomId));
      };
    },
    onResync(listener) {
      resync.add(listener);
      return () => {
        resync.delete(listener);
      };
    },
    listenerCount: () => registry.count(),
    // The cluster answering is enough: one shard failing over (its subscriptions under repair) must not
    // take every instance out of rotation.
    async ping() {
      await unavailableOnFailure(async () => {
        await publisher.ping();
      });
    },
    async stop() {
      registry.clear();
      resync.clear();
      await subscriber.stop();
    },
  };
}
