import type { Redis } from "ioredis";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { closeRedis } from "../redis/connection.js";
import type { BusTransportFactory } from "./transport.js";

/** Options of {@link redisPubSubTransport}. */
export interface RedisPubSubTransportOptions {
  /** Connection used for PUBLISH (the command connection; the transport never closes it). */
  readonly publisher: Redis;
  /** Dedicated connection in subscriber mode; the transport owns it and closes it on stop. */
  readonly subscriber: Redis;
  /** Channel prefix, e.g. `zts` (ioredis's keyPrefix does not apply to channels). */
  readonly prefix: string;
  readonly logger: Logger;
}

/**
 * Redis pub/sub: one channel per room. After the subscriber connection comes back, the bus resyncs
 * (pub/sub is at-most-once, so events may have been lost meanwhile).
 */
export function redisPubSubTransport(options: RedisPubSubTransportOptions): BusTransportFactory {
  const { publisher, subscriber, prefix, logger } = options;
  const channelPrefix = `${prefix}:events:`;
  const channel = (roomId: string) => `${channelPrefix}${roomId}`;
  return (handlers) => {
    let lostConnection = false;
    subscriber.on("message", (ch: string, message: string) => {
      if (ch.startsWith(channelPrefix)) handlers.onMessage(ch.slice(channelPrefix.length), message);
    });
    subscriber.on("close", () => {
      lostConnection = true;
    });
    subscriber.on("ready", () => {
      if (!lostConnection) return;
      lostConnection = false;
      // ioredis re-sends SUBSCRIBE on reconnect; a PING round trip makes sure they are active before
      // subscribers re-read state, so no change can fall between the re-read and the subscription.
      subscriber.ping().then(
        () => handlers.onRecovered(),
        (e: unknown) => logger.warn("resync ping failed", { error: errorName(e) }),
      );
    });
    return {
      async publish(roomId, message) {
        await publisher.publish(channel(roomId), message);
      },
      async subscribe(roomId) {
        await subscriber.subscribe(channel(roomId));
      },
      unsubscribe(roomId) {
        subscriber.unsubscribe(channel(roomId)).catch((e: unknown) => logger.warn("unsubscribe failed", { error: errorName(e) }));
      },
      async ping() {
        if (subscriber.status !== "ready") throw new UnavailableError("event bus is unavailable");
        await publisher.ping();
      },
      stop: () => closeRedis(subscriber),
    };
  };
}
