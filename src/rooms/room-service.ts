import type { EventBus } from "../events/bus.js";
import { UnavailableError, UnconfirmedWriteError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { assertRoomId, InvalidArgumentError } from "../token/index.js";
import type { RoomHistoryEntry } from "./history.js";
import { holdersOutside } from "./holders-outside.js";
import type { ChangeResult, RoomChange, RoomState } from "./room.js";
import type { RoomStore, TokenHolder } from "./store.js";
import { validateChange, type RawRoomChange } from "./validate.js";

/** Game-server operations on rooms: validate, store atomically, then publish the event. */
export interface RoomService {
  get(roomId: unknown): Promise<RoomState>;
  /**
   * Applies a raw change made by `actor` (a service key's name); invalid input throws
   * InvalidArgumentError and changes nothing.
   */
  change(roomId: unknown, raw: RawRoomChange, actor?: string): Promise<RoomState>;
  /** The room's last `last` committed changes, oldest first. */
  history(roomId: unknown, last: unknown): Promise<RoomHistoryEntry[]>;
  /** Users holding an unexpired token for the room now. */
  tokenHolders(roomId: string): Promise<TokenHolder[]>;
}

/** The most `last` a roomHistory call may ask for (and the largest ROOM_HISTORY_LENGTH). */
export const MAX_HISTORY_READ = 10_000;

/** Runs around every change, e.g. to enforce revocations on ZEGO's servers. */
export interface RoomChangeHook {
  /** Before the change is stored; its result is handed to `after`. */
  before(roomId: string): Promise<number>;
  /**
   * After the change is stored (changed or not), before its event is published. `removedUsers`: the
   * users the change shut out (the members it removed; on a switch to members-only, also every token
   * holder left outside), kicked and given login rules when they lost access.
   */
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

const ANNOUNCED_CACHE_SIZE = 10_000;

/** Creates a {@link RoomService}. */
export function createRoomService(options: RoomServiceOptions): RoomService {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  // The newest version (per epoch) this instance knows was announced for each room.
  const announced = new Map<string, { epoch: string; version: number }>();
  const isNewer = (room: RoomState) => {
    const last = announced.get(room.roomId);
    return room.version > 0 && (last === undefined || last.epoch !== room.epoch || last.version < room.version);
  };
  const publish = async (room: RoomState, userIds: readonly string[] | null) => {
    try {
      await bus.publish({ roomId: room.roomId, userIds, version: room.version, epoch: room.epoch, committedAtMs: now() });
      if (announced.size >= ANNOUNCED_CACHE_SIZE) announced.clear();
      announced.set(room.roomId, { epoch: room.epoch, version: room.version });
    } catch (e) {
      // The change is stored; subscribers catch up through RESYNC when the bus reconnects.
      logger.warn("room event not published", { error: errorName(e), roomId: room.roomId, version: room.version });
    }
  };
  const announceCurrent = async (roomId: string) => {
    try {
      const room = await store.getRoom(roomId);
      if (isNewer(room)) await publish(room, null);
    } catch (e) {
      logger.warn("room state unknown after a failed write", { error: errorName(e), roomId });
    }
  };
  const shutOut = async (change: RoomChange, result: ChangeResult): Promise<readonly string[]> => {
    if (change.kind === "removeMembers") return change.userIds;
    const removed = result.removed ?? [];
    if (change.kind !== "setAccess" || !result.changed) return removed;
    return [...new Set([...removed, ...(await holdersOutside(store, result.room, now()))])].sort();
  };
  return {
    get: (roomId) => store.getRoom(assertRoomId(roomId)),
    history(roomId, last) {
      const id = assertRoomId(roomId);
      if (typeof last !== "number" || !Number.isInteger(last) || last < 1 || last > MAX_HISTORY_READ) {
        throw new InvalidArgumentError("last", `must be an integer from 1 to ${MAX_HISTORY_READ}`);
      }
      return store.history(id, last);
    },
    tokenHolders: (roomId) => store.tokenHolders(roomId, now()),
    async change(rawRoomId, raw, actor = "unknown") {
      const { roomId, change } = validateChange(rawRoomId, raw);
      const hook = options.hook;
      const ticket = hook === undefined ? undefined : await hook.before(roomId);
      const settle = async (result: ChangeResult) => {
        if (hook !== undefined && ticket !== undefined) {
          try {
            await hook.after(roomId, result.room, await shutOut(change, result), ticket);
          } catch (e) {
            // The change is stored and marked; the enforcement sweep finishes it.
            logger.warn("room change hook failed", { error: errorName(e), roomId, version: result.room.version });
          }
        }
        if (result.changed) await publish(result.room, result.affected);
        // A retry of a change whose first attempt's outcome was unknown changes nothing here, but the
        // room may be newer than anything this instance announced: announce it now.
        else if (isNewer(result.room)) await publish(result.room, null);
      };
      let result: ChangeResult;
      try {
        result = await store.applyChange(roomId, change, { actor, atMs: now() });
      } catch (e) {
        // Stored on the primary but not confirmed by enough replicas: not acknowledged, yet it is the
        // state every instance reads now, so it is enforced and subscribers are told.
        if (e instanceof UnconfirmedWriteError && isChangeResult(e.result)) await settle(e.result);
        // A write that timed out or lost its connection may still have been applied: its outcome is
        // unknown. Re-read the room and announce what is there, so no committed change goes unpushed;
        // the caller still gets UNAVAILABLE and retries (every change is idempotent).
        else if (e instanceof UnavailableError) await announceCurrent(roomId);
        throw e;
      }
      await settle(result);
      return result.room;
    },
  };
}

function isChangeResult(value: unknown): value is ChangeResult {
  return typeof value === "object" && value !== null && "changed" in value && "room" in value && "affected" in value;
}
