import type { RoomEvent, RoomEventListener } from "./bus.js";
import type { Logger } from "../log/logger.js";
import { errorName } from "../log/logger.js";

/** Per-room listener sets shared by the bus implementations. */
export interface ListenerRegistry {
  /** Adds a listener; returns true when it is the room's first. */
  add(roomId: string, listener: RoomEventListener): boolean;
  /** Removes a listener; returns true when the room has none left. */
  remove(roomId: string, listener: RoomEventListener): boolean;
  /** Calls every listener of the event's room, isolating their failures. */
  deliver(event: RoomEvent): void;
  has(roomId: string): boolean;
  rooms(): string[];
  count(): number;
  clear(): void;
}

/** Creates an empty {@link ListenerRegistry}. */
export function createListenerRegistry(logger: Logger): ListenerRegistry {
  const byRoom = new Map<string, Set<RoomEventListener>>();
  let total = 0;
  return {
    add(roomId, listener) {
      let set = byRoom.get(roomId);
      const first = set === undefined;
      if (set === undefined) {
        set = new Set();
        byRoom.set(roomId, set);
      }
      if (!set.has(listener)) {
        set.add(listener);
        total++;
      }
      return first;
    },
    remove(roomId, listener) {
      const set = byRoom.get(roomId);
      if (set === undefined || !set.delete(listener)) return false;
      total--;
      if (set.size > 0) return false;
      byRoom.delete(roomId);
      return true;
    },
    deliver(event) {
      const set = byRoom.get(event.roomId);
      if (set === undefined) return;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch (e) {
          logger.error("room event listener failed", { error: errorName(e) });
        }
      }
    },
    has: (roomId) => byRoom.has(roomId),
    rooms: () => [...byRoom.keys()],
    count: () => total,
    clear() {
      byRoom.clear();
      total = 0;
    },
  };
}
