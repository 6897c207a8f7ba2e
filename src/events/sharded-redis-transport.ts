import type { Cluster } from "ioredis";
import { hashTag } from "../redis/key-slot.js";
import type { ShardSubscriber } from "../redis/shard-subscriber.js";
import type { BusTransportFactory } from "./transport.js";

/** Options of {@link shardedPubSubTransport}. */
export interface ShardedPubSubTransportOptions {
  /** The command cluster, for SPUBLISH (the transport never closes it). */
  readonly publisher: Cluster;
  /** Creates the subscriber; the transport hands it the message and recovery callbacks, and stops it. */
  readonly subscriber: (handlers: { onMessage: (channel: string, message: string) => void; onRecovered: () => void }) => ShardSubscriber;
  /** Channel prefix, e.g. `zts`. */
  readonly prefix: string;
}

/** The shard channel of a room: `<prefix>:events:{<roomId>}`, in the slot of the room's keys. */
function roomShardChannel(prefix: string, roomId: string): string {
  return `${prefix}:events:${hashTag(roomId)}`;
}

/**
 * Redis Cluster sharded pub/sub: one shard channel per room, tagged with the room so SPUBLISH reaches
 * only the room's shard. After a shard failover, a dropped connection or a moved slot, the bus resyncs
 * once every subscription is confirmed live again.
 */
export function shardedPubSubTransport(options: ShardedPubSubTransportOptions): BusTransportFactory {
  const { publisher, prefix } = options;
  const channelPrefix = `${prefix}:events:{`;
  const channel = (roomId: string) => roomShardChannel(prefix, roomId);
  return (handlers) => {
    const subscriber = options.subscriber({
      onMessage(ch, message) {
        if (ch.startsWith(channelPrefix) && ch.endsWith("}")) handlers.onMessage(ch.slice(channelPrefix.length, -1), message);
      },
      onRecovered: () => handlers.onRecovered(),
    });
    return {
      async publish(roomId, message) {
        await publisher.spublish(channel(roomId), message);
      },
      subscribe: (roomId) => subscriber.subscribe(channel(roomId)),
      unsubscribe: (roomId) => subscriber.unsubscribe(channel(roomId)),
      // The cluster answering is enough: one shard failing over (its subscriptions under repair) must not
      // take every instance out of rotation.
      async ping() {
        await publisher.ping();
      },
      stop: () => subscriber.stop(),
    };
  };
}
