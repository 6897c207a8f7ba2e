import type { Clock } from "../clock/clock.js";
import { applyChange } from "./policy.js";
import { randomBytes } from "node:crypto";
import { DEFAULT_ROOM_HISTORY_LENGTH, historyEntry, type RoomHistoryEntry } from "./history.js";
import { emptyRoom, newEpoch, type RoomState } from "./room.js";
import { byUserId, MAX_TOKEN_HOLDERS_PER_ROOM, type IssuedRecord, type RoomStore, type TokenHolder } from "./store.js";

/** Options of {@link createMemoryRoomStore}. */
export interface MemoryRoomStoreOptions {
  /** Used to drop lapsed records and to stamp history entries without a time; default the system clock. */
  readonly clock?: Clock;
  /** History entries kept per room (ROOM_HISTORY_LENGTH); default 1000. */
  readonly historyLength?: number;
}

const SWEEP_EVERY = 10_000;

/** An in-process {@link RoomStore} for a single instance. */
export function createMemoryRoomStore(options: MemoryRoomStoreOptions = {}): RoomStore {
  const rooms = new Map<string, RoomState>();
  const histories = new Map<string, RoomHistoryEntry[]>();
  // Records per room (basic tokens under null): the room's map is also its index of token holders.
  const issued = new Map<string | null, Map<string, IssuedRecord>>();
  const historyLength = options.historyLength ?? DEFAULT_ROOM_HISTORY_LENGTH;
  let writes = 0;
  const nowMs = () => (options.clock ?? { now: Date.now }).now();
  const lapsed = (record: IssuedRecord, now: number) => record.expiresAt * 1000 <= now;

  const sweep = (now: number) => {
    for (const [roomId, records] of issued) {
      for (const [userId, r] of records) if (lapsed(r, now)) records.delete(userId);
      if (records.size === 0) issued.delete(roomId);
    }
  };

  return {
    async getRoom(roomId) {
      return rooms.get(roomId) ?? emptyRoom(roomId);
    },
    // One synchronous section: the state and its history entry are stored together or not at all.
    async applyChange(roomId, change, meta) {
      const before = rooms.get(roomId) ?? emptyRoom(roomId);
      let result = applyChange(before, change);
      if (!result.changed) return result;
      if (before.epoch === "") result = { ...result, room: { ...result.room, epoch: newEpoch(randomBytes) } };
      const entry = historyEntry(before, result.room, change, meta ?? { actor: "unknown", atMs: nowMs() });
      const history = histories.get(roomId) ?? [];
      history.push(entry);
      if (history.length > historyLength) history.splice(0, history.length - historyLength);
      histories.set(roomId, history);
      rooms.set(roomId, result.room);
      return result;
    },
    async history(roomId, last) {
      const history = histories.get(roomId) ?? [];
      return last <= 0 ? [] : history.slice(-last);
    },
    async tokenHolders(roomId, now) {
      const holders: TokenHolder[] = [];
      for (const [userId, r] of issued.get(roomId) ?? []) {
        if (!lapsed(r, now)) holders.push({ userId, expiresAt: r.expiresAt, canPublish: r.canPublish, streamIds: r.streamIds });
      }
      return holders.sort(byUserId);
    },
    async getIssued(userId, roomId) {
      const records = issued.get(roomId);
      const record = records?.get(userId);
      if (record === undefined) return null;
      if (lapsed(record, nowMs())) {
        records?.delete(userId);
        return null;
      }
      return record;
    },
    async putIssued(userId, roomId, record, now) {
      let records = issued.get(roomId);
      if (records === undefined) {
        records = new Map();
        issued.set(roomId, records);
      }
      records.delete(userId);
      records.set(userId, record);
      if (++writes % SWEEP_EVERY === 0) sweep(now);
      if (roomId !== null && records.size > MAX_TOKEN_HOLDERS_PER_ROOM) {
        for (const [u, r] of records) if (lapsed(r, now)) records.delete(u);
        // Still full: drop the record written longest ago (Map order), as Redis drops the soonest to expire.
        if (records.size > MAX_TOKEN_HOLDERS_PER_ROOM) records.delete(records.keys().next().value as string);
      }
    },
    async ping() {},
    async stop() {
      rooms.clear();
      histories.clear();
      issued.clear();
    },
  };
}
