import type { Clock } from "../clock/clock.js";
import { applyChange } from "./policy.js";
import { randomBytes } from "node:crypto";
import { emptyRoom, newEpoch, type RoomState } from "./room.js";
import type { IssuedRecord, RoomStore } from "./store.js";

/** Options of {@link createMemoryRoomStore}. */
export interface MemoryRoomStoreOptions {
  /** Used to drop lapsed records; default none (records are checked on read). */
  readonly clock?: Clock;
}

const SWEEP_EVERY = 10_000;

/** An in-process {@link RoomStore} for a single instance. */
export function createMemoryRoomStore(options: MemoryRoomStoreOptions = {}): RoomStore {
  const rooms = new Map<string, RoomState>();
  const issued = new Map<string, IssuedRecord>();
  let writes = 0;
  const key = (userId: string, roomId: string | null) => `${roomId ?? ""}\u0000${userId}`;
  const nowMs = () => (options.clock ?? { now: Date.now }).now();

  return {
    async getRoom(roomId) {
      return rooms.get(roomId) ?? emptyRoom(roomId);
    },
    async applyChange(roomId, change) {
      const before = rooms.get(roomId) ?? emptyRoom(roomId);
      let result = applyChange(before, change);
      if (!result.changed) return result;
      if (before.epoch === "") result = { ...result, room: { ...result.room, epoch: newEpoch(randomBytes) } };
      rooms.set(roomId, result.room);
      return result;
    },
    async getIssued(userId, roomId) {
      const record = issued.get(key(userId, roomId));
      if (record === undefined) return null;
      if (record.expiresAt * 1000 <= nowMs()) {
        issued.delete(key(userId, roomId));
        return null;
      }
      return record;
    },
    async putIssued(userId, roomId, record, now) {
      issued.set(key(userId, roomId), record);
      if (++writes % SWEEP_EVERY === 0) {
        for (const [k, r] of issued) if (r.expiresAt * 1000 <= now) issued.delete(k);
      }
    },
    async ping() {},
    async stop() {
      rooms.clear();
      issued.clear();
    },
  };
}
