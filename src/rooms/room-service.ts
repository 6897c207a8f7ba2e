import type { EventBus } from "../events/bus.js";
import { UnconfirmedWriteError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { assertRoomId } from "../token/index.js";
import type { ChangeResult, RoomState } from "./room.js";
import type { RoomStore } from "./store.js";
import { validateChange, type RawRoomChange } from "./validate.js";

/** Game-server operations on rooms: validate, store atomically, then publish the event. */
export interface RoomService {
  get(roomId: unknown): Promise<RoomState>;
  /** Applies a raw change; invalid input throws InvalidArgumentError and changes nothing. */
  change(roomId: unknown, raw: RawRoomChange): Promise<RoomState>;
}

/** Options of {@link createRoomService}. */
export interface RoomServiceOptions {
  readonly store: RoomStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Stamps events with their commit time; default Date.now. */
  readonly now?: () => number;
}

/** Creates a {@link RoomService}. */
export function createRoomService(options: RoomServiceOptions): RoomService {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  return {
    get: (roomId) => store.getRoom(assertRoomId(roomId)),
    async change(rawRoomId, raw) {
      const { roomId, change } = validateChange(rawRoomId, raw);
      const publish = async (result: ChangeResult) => {
        if (!result.changed) return;
        try {
          await bus.publish({ roomId, userIds: result.affected, version: result.room.version, committedAtMs: now() });
        } catch (e) {
          // The change is stored; subscribers catch up through RESYNC when the bus reconnects.
          logger.warn("room event not published", { error: errorName(e), roomId, version: result.room.version });
        }
      };
      let result: ChangeResult;
      try {
        result = await store.applyChange(roomId, change);
      } catch (e) {
        // Stored on the primary but not confirmed by enough replicas: not acknowledged, yet it is the
        // state every instance reads now, so subscribers are told.
        if (e instanceof UnconfirmedWriteError && isChangeResult(e.result)) await publish(e.result);
        throw e;
      }
      await publish(result);
      return result.room;
    },
  };
}

function isChangeResult(value: unknown): value is ChangeResult {
  return typeof value === "object" && value !== null && "changed" in value && "room" in value && "affected" in value;
}
