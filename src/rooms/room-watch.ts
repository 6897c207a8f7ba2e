import type { EventBus, Unsubscribe } from "../events/bus.js";
import type { RoomState } from "./room.js";

/** Options of {@link watchRoom}. */
export interface WatchRoomOptions {
  readonly bus: EventBus;
  /** Reads the committed state of the room. */
  readonly read: (roomId: string) => Promise<RoomState>;
  readonly roomId: string;
}

/**
 * The room's state now, then after each committed change (room event or bus resync). Coalesces: a
 * burst of changes yields one read of the final state, and a state whose version was already sent
 * is skipped. Ending the iteration drops the bus listener.
 */
export async function watchRoom(options: WatchRoomOptions): Promise<AsyncIterableIterator<RoomState>> {
  const { bus, read, roomId } = options;
  let dirty = true;
  let done = false;
  let lastVersion = -1;
  let wake: (() => void) | undefined;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const offRoom: Unsubscribe = await bus.subscribe(roomId, poke);
  const offResync = bus.onResync(poke);
  const finish = () => {
    done = true;
    offRoom();
    offResync();
    wake?.();
  };
  const iterator: AsyncIterableIterator<RoomState> = {
    async next(): Promise<IteratorResult<RoomState>> {
      while (!done) {
        if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (done) break;
        dirty = false;
        let room: RoomState;
        try {
          room = await read(roomId);
        } catch (e) {
          finish();
          throw e;
        }
        if (done) break;
        if (room.version !== lastVersion) {
          lastVersion = room.version;
          return { value: room, done: false };
        }
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<RoomState>> {
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
