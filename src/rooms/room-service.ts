import type { EventBus } from "../events/bus.js";
import { errorName, type Logger } from "../log/logger.js";
import { assertRoomId } from "../token/index.js";
import type { RoomState } from "./room.js";
import type { RoomStore } from "./store.js";
import { validateChange, type RawRoomChange } from "./validate.js";

/** Game-server operations on rooms: validate, store atomically, then publish the event. */
export interface RoomService {
  get(roomId: unknown): Promise<RoomState>;
  /** Applies a raw change; invalid input throws InvalidArgumentError and changes nothing. */
  change(roomId: unknown, raw: RawRoomChange): Promise<RoomState>;
}

/** Runs around every change, e.g. to enforce revocations on ZEGO's servers. */
export interface RoomChangeHook {
  /** Before the change is stored; its result is handed to `after`. */
  before(roomId: string): Promise<number>;
  /** After the change is stored (changed or not), before its event is published. */
  after(roomId: string, room: RoomState, removedUsers: readonly string[], ticket: number): Promise<void>;
}

/** Options of {@link createRoomService}. */
export interface RoomServiceOptions {
  readonly store: RoomStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Stamps events with their commit time; default Date.now. */
  readonly now?: () => number;
  readonly hook?: RoomChangeHook;
}

/** Creates a {@link RoomService}. */
export function createRoomService(options: RoomServiceOptions): RoomService {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  return {
    get: (roomId) => store.getRoom(assertRoomId(roomId)),
    async change(rawRoomId, raw) {
      const { roomId, change } = validateChange(rawRoomId, raw);
      const hook = options.hook;
      const ticket = hook === undefined ? undefined : await hook.before(roomId);
      const result = await store.applyChange(roomId, change);
      if (hook !== undefined && ticket !== undefined) {
        try {
          await hook.after(roomId, result.room, change.kind === "removeMembers" ? change.userIds : [], ticket);
        } catch (e) {
          // The change is stored and marked; the enforcement sweep finishes it.
          logger.warn("room change hook failed", { error: errorName(e), roomId, version: result.room.version });
        }
      }
      if (result.changed) {
        try {
          await bus.publish({ roomId, userIds: result.affected, version: result.room.version, committedAtMs: now() });
        } catch (e) {
          // The change is stored; subscribers catch up through RESYNC when the bus reconnects.
          logger.warn("room event not published", { error: errorName(e), roomId, version: result.room.version });
        }
      }
      return result.room;
    },
  };
}
