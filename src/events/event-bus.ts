import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { unavailableOnFailure } from "../redis/connection.js";
import { withTimeout } from "../util/timeout.js";
import type { EventBus, RoomEventListener } from "./bus.js";
import { parseEvent, serializeEvent } from "./event-codec.js";
import type { BusTransportFactory } from "./transport.js";

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  readonly transport: BusTransportFactory;
  readonly logger: Logger;
  /** How long a room's first subscribe may wait for the transport; default 2000 ms. */
  readonly subscribeTimeoutMs?: number;
}

/** A room with local listeners: the channel subscription they all wait for. */
interface RoomEntry {
  readonly listeners: Set<{ readonly listener: RoomEventListener }>;
  ready: Promise<void>;
}

const DEFAULT_SUBSCRIBE_TIMEOUT_MS = 2000;

/**
 * The one {@link EventBus}: listeners per room, one channel subscription per room with local listeners
 * (every listener of the room waits for that same subscribe, so none resolves before it is active),
 * events parsed and checked once, listener failures isolated, resync after the transport recovered.
 */
export function createEventBus(options: EventBusOptions): EventBus {
  const { logger } = options;
  const timeoutMs = options.subscribeTimeoutMs ?? DEFAULT_SUBSCRIBE_TIMEOUT_MS;
  const rooms = new Map<string, RoomEntry>();
  const resync = new Set<() => void>();
  let total = 0;

  const transport = options.transport({
    onMessage(roomId, message) {
      const entry = rooms.get(roomId);
      if (entry === undefined) return;
      const event = parseEvent(message, roomId);
      if (event === undefined) {
        logger.warn("ignored a malformed room event", { roomId });
        return;
      }
      for (const { listener } of [...entry.listeners]) {
        try {
          listener(event);
        } catch (e) {
          logger.error("room event listener failed", { error: errorName(e) });
        }
      }
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

  /** Drops a registration; the room's channel goes when its last listener does. */
  const remove = (roomId: string, entry: RoomEntry, registration: { readonly listener: RoomEventListener }) => {
    if (!entry.listeners.delete(registration)) return;
    total--;
    if (entry.listeners.size > 0 || rooms.get(roomId) !== entry) return;
    rooms.delete(roomId);
    transport.unsubscribe(roomId);
  };

  const open = (roomId: string): RoomEntry => {
    const entry: RoomEntry = { listeners: new Set(), ready: Promise.resolve() };
    rooms.set(roomId, entry);
    entry.ready = withTimeout(
      unavailableOnFailure(() => transport.subscribe(roomId)),
      timeoutMs,
      () => new UnavailableError("event bus is unavailable"),
    );
    entry.ready.catch(() => {
      // Every waiting listener is refused; the next subscribe starts afresh.
      if (rooms.get(roomId) !== entry) return;
      rooms.delete(roomId);
      transport.unsubscribe(roomId);
    });
    return entry;
  };

  return {
    publish: (event) =>
      unavailableOnFailure(async () => {
        await transport.publish(event.roomId, serializeEvent(event));
      }),
    async subscribe(roomId, listener) {
      const entry = rooms.get(roomId) ?? open(roomId);
      const registration = { listener };
      entry.listeners.add(registration);
      total++;
      try {
        await entry.ready;
      } catch (e) {
        remove(roomId, entry, registration);
        throw e;
      }
      return () => remove(roomId, entry, registration);
    },
    onResync(listener) {
      resync.add(listener);
      return () => {
        resync.delete(listener);
      };
    },
    listenerCount: () => total,
    ping: () => unavailableOnFailure(() => transport.ping()),
    async stop() {
      for (const entry of rooms.values()) entry.listeners.clear();
      rooms.clear();
      total = 0;
      resync.clear();
      await transport.stop();
    },
  };
}
