import { UnavailableError, UnconfirmedWriteError } from "../errors/service-errors.js";
import { InvalidArgumentError } from "../token/index.js";
import { unavailableOnFailure, type RedisClient } from "../redis/connection.js";
import { hashTag } from "../redis/key-slot.js";
import { applyChange } from "./policy.js";
import { randomBytes } from "node:crypto";
import { emptyRoom, newEpoch, type ChangeResult, type RoomState } from "./room.js";
import { DEFAULT_ROOM_HISTORY_LENGTH, historyEntry, parseHistoryEntry, serializeHistoryEntry, type RoomHistoryEntry } from "./history.js";
import { parseIssuedRecord, parseRoomState, serializeRoomState } from "./room-codec.js";
import { byUserId, MAX_TOKEN_HOLDERS_PER_ROOM, type RoomStore, type TokenHolder } from "./store.js";

/** Options of {@link createRedisRoomStore}. */
export interface RedisRoomStoreOptions {
  /** The command connection (shared with the bus's publisher). */
  readonly redis: RedisClient;
  /** Key prefix, e.g. `zts`. */
  readonly prefix: string;
  /** Uniform [0, 1), for retry back-off; default Math.random. */
  readonly random?: () => number;
  /** Replicas that must confirm a change (`WAIT`) before it is acknowledged; default 0. */
  readonly waitReplicas?: number;
  /** History entries kept per room (ROOM_HISTORY_LENGTH); default 1000. */
  readonly historyLength?: number;
  /** Stamps history entries made without a time; default Date.now. */
  readonly now?: () => number;
}

// Compare-and-set: write the new state only if the stored version is the one the change was computed
// from, and its history entry with it (newest first, capped). Every check that could fail runs before
// the first write: a script has no rollback, and a state must never be stored without its entry.
const CAS = `
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
local t = redis.call('TYPE', KEYS[2]).ok
if t ~= 'list' and t ~= 'none' then return redis.error_reply('history key holds another type') end
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
return 1
`;
// An issued record and the room's index of token holders (user by expiry), pruned of lapsed entries,
// capped, and expiring with its last token.
const PUT_ISSUED = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
local n = redis.call('ZCARD', KEYS[2])
local cap = tonumber(ARGV[6])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - cap - 1) end
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if top[2] then redis.call('EXPIREAT', KEYS[2], tonumber(top[2])) end
return 1
`;
// A write of the state read (the same version), so that WAIT after it confirms the replicas have that
// state; 0 when the state moved on meanwhile.
const TOUCH = `
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
return 1
`;
const MAX_ATTEMPTS = 200;
/** How long WAIT may take; below the command timeout, so a slow replica gives UNAVAILABLE, not a hung call. */
export const WAIT_TIMEOUT_MS = 1000;

/** Marks a policy refusal (a room cap) so unavailableOnFailure rethrows it as BAD_USER_INPUT, as in memory. */
class PolicyRefusal extends UnavailableError {
  constructor(readonly refusal: InvalidArgumentError) {
    super(refusal.message);
  }
}

function invalidPasses<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new PolicyRefusal(e);
    throw e;
  }
}

async function unwrapRefusal<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof PolicyRefusal) throw e.refusal;
    throw e;
  }
}

/**
 * A {@link RoomStore} in Redis. Changes run the pure policy on the stored state and commit with a Lua
 * compare-and-set on the version, retrying on conflict: concurrent writers never mix, versions only grow.
 */
export function createRedisRoomStore(options: RedisRoomStoreOptions): RoomStore {
  const { redis, prefix } = options;
  const random = options.random ?? Math.random;
  // Every key of a room carries the room as its hash tag, so on a Redis Cluster a room's keys (and its
  // shard channel) share one slot and each Lua step touches one slot. Basic-token records belong to no
  // room: their whole key is hashed, spreading them over the shards by user.
  const roomKey = (roomId: string) => `${prefix}:room:${hashTag(roomId)}`;
  const issuedKey = (userId: string, roomId: string | null) => (roomId === null ? `${prefix}:basic:${userId}` : `${prefix}:issued:${hashTag(roomId)}:${userId}`);
  const historyKey = (roomId: string) => `${prefix}:history:${hashTag(roomId)}`;
  const holdersKey = (roomId: string) => `${prefix}:holders:${hashTag(roomId)}`;
  const historyLength = options.historyLength ?? DEFAULT_ROOM_HISTORY_LENGTH;
  const now = options.now ?? Date.now;

  const waitReplicas = options.waitReplicas ?? 0;

  /**
   * Runs a script on a room's keys; with waitReplicas, WAIT follows it in one pipeline on the same connection (on
   * a cluster, the room's primary), so it counts the replicas that have this very write.
   */
  const replicated = async (result: ChangeResult, script: string, keys: readonly string[], ...args: string[]): Promise<boolean> => {
    if (waitReplicas === 0) return (await redis.eval(script, keys.length, ...keys, ...args)) === 1;
    const replies = await redis.pipeline().eval(script, keys.length, ...keys, ...args).wait(waitReplicas, WAIT_TIMEOUT_MS).exec();
    const [[scriptError, ok] = [null, null], [waitError, acked] = [null, null]] = replies ?? [];
    if (scriptError !== null) throw scriptError;
    if (ok !== 1) return false;
    if (waitError !== null || typeof acked !== "number" || acked < waitReplicas) throw new UnconfirmedWriteError(result);
    return true;
  };

  const readRoom = async (roomId: string): Promise<RoomState> => {
    const json = await redis.hget(roomKey(roomId), "s");
    if (json === null) return emptyRoom(roomId);
    const room = parseRoomState(json, roomId);
    if (room === undefined) throw new UnavailableError("stored room state is unreadable");
    return room;
  };

  return {
    getRoom: (roomId) => unavailableOnFailure(() => readRoom(roomId)),
    applyChange: (roomId, change, meta) =>
      unwrapRefusal(unavailableOnFailure(async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const before = await readRoom(roomId);
          let result = invalidPasses(() => applyChange(before, change));
          if (!result.changed && (waitReplicas === 0 || before.version === 0)) return result;
          if (result.changed && before.epoch === "") result = { ...result, room: { ...result.room, epoch: newEpoch(randomBytes) } };
          // With waitReplicas, a no-op is acknowledged only once the replicas hold the state it saw: it may be
          // a retry of a change that was stored but not confirmed.
          const ok = result.changed
            ? await replicated(result, CAS, [roomKey(roomId), historyKey(roomId)], String(before.version), String(result.room.version), serializeRoomState(result.room),
                serializeHistoryEntry(historyEntry(before, result.room, change, meta ?? { actor: "unknown", atMs: now() })), String(historyLength))
            : await replicated(result, TOUCH, [roomKey(roomId)], String(before.version));
          if (ok) return result;
          await new Promise((r) => setTimeout(r, Math.floor(random() * Math.min(50, 2 + attempt))));
        }
        throw new UnavailableError("room is too busy, try again");
      })),
    history: (roomId, last) =>
      unavailableOnFailure(async () => {
        if (last <= 0) return [];
        const raw = await redis.lrange(historyKey(roomId), 0, Math.min(last, historyLength) - 1);
        return raw.map(parseHistoryEntry).filter((e): e is RoomHistoryEntry => e !== undefined).reverse();
      }),
    tokenHolders: (roomId, nowMs) =>
      unavailableOnFailure(async () => {
        const nowSeconds = Math.floor(nowMs / 1000);
        const userIds = await redis.zrangebyscore(holdersKey(roomId), `(${nowSeconds}`, "+inf", "LIMIT", 0, MAX_TOKEN_HOLDERS_PER_ROOM);
        if (userIds.length === 0) return [];
        const records = await redis.mget(...userIds.map((u) => issuedKey(u, roomId)));
        const holders: TokenHolder[] = [];
        userIds.forEach((userId, i) => {
          const json = records[i];
          const r = json === null || json === undefined ? undefined : parseIssuedRecord(json);
          if (r !== undefined && r.expiresAt > nowSeconds) holders.push({ userId, expiresAt: r.expiresAt, canPublish: r.canPublish, streamIds: r.streamIds });
        });
        return holders.sort(byUserId);
      }),
    getIssued: (userId, roomId) =>
      unavailableOnFailure(async () => {
        const json = await redis.get(issuedKey(userId, roomId));
        return json === null ? null : (parseIssuedRecord(json) ?? null);
      }),
    putIssued: (userId, roomId, record, nowMs) =>
      unavailableOnFailure(async () => {
        const ttlMs = record.expiresAt * 1000 - nowMs;
        if (ttlMs <= 0) return;
        if (roomId === null) {
          await redis.set(issuedKey(userId, roomId), JSON.stringify(record), "PX", ttlMs);
          return;
        }
        const args = [JSON.stringify(record), String(ttlMs), String(record.expiresAt), userId, String(Math.floor(nowMs / 1000)), String(MAX_TOKEN_HOLDERS_PER_ROOM)];
        await redis.eval(PUT_ISSUED, 2, issuedKey(userId, roomId), holdersKey(roomId), ...args);
      }),
    ping: () =>
      unavailableOnFailure(async () => {
        await redis.ping();
      }),
    // The connection belongs to the backends, which close it.
    async stop() {},
  };
}
