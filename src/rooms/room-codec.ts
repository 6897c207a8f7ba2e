import { isStringArray, parseJsonObject } from "../util/json.js";
import type { IssuedRecord } from "./store.js";
import { RoomAccess, type Publisher, type RoomState } from "./room.js";

// Room state and records are validated when read back from shared storage, never cast.

function isPublisher(value: unknown): value is Publisher {
  if (typeof value !== "object" || value === null) return false;
  const { userId, streamIds } = value as Record<string, unknown>;
  return typeof userId === "string" && (streamIds === null || isStringArray(streamIds));
}

/** Parses stored room state; `undefined` when it is not valid. */
export function parseRoomState(json: string, roomId: string): RoomState | undefined {
  const v = parseJsonObject(json);
  if (v === undefined) return undefined;
  const { access, members, publishers, version, epoch } = v;
  if (access !== RoomAccess.OPEN && access !== RoomAccess.MEMBERS_ONLY) return undefined;
  if (!isStringArray(members)) return undefined;
  if (publishers !== null && !(Array.isArray(publishers) && publishers.every(isPublisher))) return undefined;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) return undefined;
  // State written before epochs existed reads as epoch "legacy", which still differs from a lost room's "".
  const roomEpoch = typeof epoch === "string" ? epoch : "legacy";
  return { roomId, access, members, publishers: publishers as Publisher[] | null, version, epoch: roomEpoch };
}

/** Serialises room state for storage. */
export function serializeRoomState(room: RoomState): string {
  return JSON.stringify({ access: room.access, members: room.members, publishers: room.publishers, version: room.version, epoch: room.epoch });
}

/** Parses a stored issued-token record; `undefined` when it is not valid. */
export function parseIssuedRecord(json: string): IssuedRecord | undefined {
  const r = parseJsonObject(json);
  if (r === undefined) return undefined;
  const ints = ["version", "issuedAt", "expiresAt", "renewAtMs", "ttlSeconds"] as const;
  if (!ints.every((k) => typeof r[k] === "number" && Number.isSafeInteger(r[k]))) return undefined;
  if (typeof r["canLoginRoom"] !== "boolean" || typeof r["canPublish"] !== "boolean") return undefined;
  if (r["streamIds"] !== null && !isStringArray(r["streamIds"])) return undefined;
  return r as unknown as IssuedRecord;
}
