import type { Redis } from "ioredis";
import { UnavailableError } from "../errors/service-errors.js";
import { InvalidArgumentError } from "../token/index.js";
import { unavailableOnFailure } from "../redis/connection.js";
import { applyChange } from "./policy.js";
import { randomBytes } from "node:crypto";
import { emptyRoom, newEpoch, type RoomState } from "./room.js";
import { parseIssuedRecord, parseRoomState, serializeRoomState } from "./room-codec.js";
import type { RoomStore } from "./store.js";

/** Options of {@link createRedisRoomStore}. */
export interface RedisRoomStoreOptions {
  /** The command connection (shared with the bus's publisher). */
  readonly redis: Redis;
  /** Key prefix, e.g. `zts`. */
  readonly prefix: string;
  /** Uniform [0, 1), for retry back-off; default Math.random. */
  readonly random?: () => number;
}

// Compare-and-set: write the new state only if the stored version is the one the change was computed from.
const CAS = `
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
return 1
`;
const MAX_ATTEMPTS = 200;

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
  const roomKey = (roomId: string) => `${prefix}:room:${roomId}`;
  const issuedKey = (userId: string, roomId: string | null) => (roomId === null ? `${prefix}:basic:${userId}` : `${prefix}:issued:${roomId}:${userId}`);

  const readRoom = async (roomId: string): Promise<RoomState> => {
    const json = await redis.hget(roomKey(roomId), "s");
    if (json === null) return emptyRoom(roomId);
    const room = parseRoomState(json, roomId);
    if (room === undefined) throw new UnavailableError("stored room state is unreadable");
    return room;
  };

  return {
    getRoom: (roomId) => unavailableOnFailure(() => readRoom(roomId)),
    applyChange: (roomId, change) =>
      unwrapRefusal(unavailableOnFailure(async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const before = await readRoom(roomId);
          let result = invalidPasses(() => applyChange(before, change));
          if (!result.changed) return result;
          if (before.epoch === "") result = { ...result, room: { ...result.room, epoch: newEpoch(randomBytes) } };
          const ok = await redis.eval(CAS, 1, roomKey(roomId), String(before.version), String(result.room.version), serializeRoomState(result.room));
          if (ok === 1) return result;
          await new Promise((r) => setTimeout(r, Math.floor(random() * Math.min(50, 2 + attempt))));
        }
        throw new UnavailableError("room is too busy, try again");
      })),
    getIssued: (userId, roomId) =>
      unavailableOnFailure(async () => {
        const json = await redis.get(issuedKey(userId, roomId));
        return json === null ? null : (parseIssuedRecord(json) ?? null);
      }),
    putIssued: (userId, roomId, record, nowMs) =>
      unavailableOnFailure(async () => {
        const ttlMs = record.expiresAt * 1000 - nowMs;
        if (ttlMs <= 0) return;
        await redis.set(issuedKey(userId, roomId), JSON.stringify(record), "PX", ttlMs);
      }),
    ping: () =>
      unavailableOnFailure(async () => {
        await redis.ping();
      }),
    // The connection belongs to the backends, which close it.
    async stop() {},
  };
}
