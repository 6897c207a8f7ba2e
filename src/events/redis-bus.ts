import type { Redis } from "ioredis";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { unavailableOnFailure } from "../redis/connection.js";
import { withTimeout } from "../util/timeout.js";
import type { EventBus } from "./bus.js";
import { parseEvent, serializeEvent } from "./event-codec.js";
import { createListenerRegistry } from "./listener-registry.js";

/** Options of {@link createRedisEventBus}. */
export interface RedisEventBusOptions {
  /** Connection used for PUBLISH (the command connection). */
  readonly publisher: Redis;
  /** Dedicated connection in subscriber mode. */
  readonly subscriber: Redis;
  /** Channel prefix, e.g. `zts` (ioredis's keyPrefix does not apply to channels). */
  readonly prefix: string;
  readonly logger: Logger;
}

const SUBSCRIBE_TIMEOUT_MS = 2000;

/**
 * An {@link EventBus} over Redis pub/sub: one channel per room, subscribed only while this instance
 * has a local listener in that room. After the subscriber connection comes back, resync listeners
 * run (pub/sub is at-most-once, so events may have been lost meanwhile).
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const { publisher, subscriber, prefix, logger } = options;
  const registry = createListenerRegistry(logger);
  const resync = new Set<() => void>();
  const channelPrefix = `${prefix}:events:`;
  const channel = (roomId: string) => `${channelPrefix}${roomId}`;
  let lostConnection = false;

  subscriber.on("message", (ch: string, message: string) => {
    if (!ch.startsWith(channelPrefix)) return;
    const roomId = ch.slice(channelPrefix.length);
    const event = parseEvent(message, roomId);
    if (event === undefined) {
      logger.warn("ignored a malformed room event", { roomId });
      return;
    }
    registry.deliver(event);
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
      () => {
        for (const listener of [...resync]) {
          try {
            listener();
          } catch (e) {
            logger.error("resync listener failed", { error: errorName(e) });
          }
        }
      },
      (e: unknown) => logger.warn("resync ping failed", { error: errorName(e) }),
    );
  });

  return {
    publish: (event) =>
      unavailableOnFailure(async () => {
        await publisher.publish(channel(event.roomId), serializeEvent(event));
      }),
    async subscribe(roomId, listener) {
      const first = registry.add(roomId, listener);
      if (first) {
        try {
          await unavailableOnFailure(() =>
            withTimeout(subscriber.subscribe(channel(roomId)), SUBSCRIBE_TIMEOUT_MS, () => new UnavailableError("event bus is unavailable")),
          );
        } catch (e) {
          if (registry.remove(roomId, listener)) subscriber.unsubscribe(channel(roomId)).catch(() => undefined);
          throw e;
        }
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        if (registry.remove(roomId, listener)) {
          subscriber.unsubscribe(channel(roomId)).catch((e: unknown) => logger.warn("unsubscribe failed", { error: errorName(e) }));
        }
      };
    },
    onResync(listener) {
      resync.add(listener);
      return () => {
        resync.delete(listener);
      };
    },
    listenerCount: () => registry.count(),
    async ping() {
      if (subscriber.status !== "ready") throw new UnavailableError("event bus is unavailable");
      await unavailableOnFailure(async () => {
        await publisher.ping();
      });
    },
    async stop() {
      registry.clear();
      resync.clear();
    },
  };
}
