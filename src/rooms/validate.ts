import { assertRoomId, assertStreamId, assertUserId, InvalidArgumentError } from "../token/index.js";
import { RoomAccess, ROOM_LIMITS, type Publisher, type RoomChange } from "./room.js";

function list(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(field, "must be a list");
  if (value.length > max) throw new InvalidArgumentError(field, `must have at most ${max} entries`);
  return value;
}

/** Validates an optional stream allow-list: null/undefined means any stream; an empty list is refused. Duplicates are dropped. */
export function validateStreamIds(value: unknown, field = "streamIds"): string[] | null {
  if (value === null || value === undefined) return null;
  const ids = list(value, field, ROOM_LIMITS.maxStreamIdsPerUser).map((s, i) => assertStreamId(s, `${field}[${i}]`));
  // ZEGO reads an empty stream_id_list as "any stream", the opposite of what an empty list suggests.
  if (ids.length === 0) throw new InvalidArgumentError(field, "must not be empty (null allows any stream; use revokePublish to take the right away)");
  return [...new Set(ids)].sort();
}

/** Validates a list of user IDs (1..1000 entries); duplicates are dropped. */
export function validateUserIds(value: unknown, field = "userIds"): string[] {
  const ids = list(value, field, ROOM_LIMITS.maxListEntries).map((u, i) => assertUserId(u, `${field}[${i}]`));
  if (ids.length === 0) throw new InvalidArgumentError(field, "must not be empty");
  return [...new Set(ids)];
}

/** Validates `setPublishers` input: IDs, caps, and no user twice. */
export function validatePublishers(value: unknown, field = "publishers"): Publisher[] {
  const entries = list(value, field, ROOM_LIMITS.maxListEntries);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    if (typeof entry !== "object" || entry === null) throw new InvalidArgumentError(`${field}[${i}]`, "must be an object");
    const { userId, streamIds } = entry as { userId?: unknown; streamIds?: unknown };
    const user = assertUserId(userId, `${field}[${i}].userId`);
    if (seen.has(user)) throw new InvalidArgumentError(`${field}[${i}].userId`, "appears twice");
    seen.add(user);
    return { userId: user, streamIds: validateStreamIds(streamIds, `${field}[${i}].streamIds`) };
  });
}

/** Validates the optional member list of setRoomAccess: absent or null keeps the members; a list (empty allowed) replaces them. */
export function validateMembers(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  return [...new Set(list(value, "members", ROOM_LIMITS.maxListEntries).map((u, i) => assertUserId(u, `members[${i}]`)))];
}

/** Validates a room access value. */
export function validateAccess(value: unknown): RoomAccess {
  if (value !== RoomAccess.OPEN && value !== RoomAccess.MEMBERS_ONLY) throw new InvalidArgumentError("access", "must be OPEN or MEMBERS_ONLY");
  return value;
}

/** Raw arguments of a room mutation, as they arrive from outside. */
export type RawRoomChange =
  | { kind: "grantPublish"; userId: unknown; streamIds: unknown }
  | { kind: "revokePublish"; userId: unknown }
  | { kind: "setPublishers"; publishers: unknown }
  | { kind: "setAccess"; access: unknown; members?: unknown }
  | { kind: "addMembers"; userIds: unknown }
  | { kind: "removeMembers"; userIds: unknown };

/** Validates a room ID and a raw change into a {@link RoomChange}; throws InvalidArgumentError naming the field. */
export function validateChange(roomId: unknown, raw: RawRoomChange): { roomId: string; change: RoomChange } {
  const room = assertRoomId(roomId);
  switch (raw.kind) {
    case "grantPublish":
      return { roomId: room, change: { kind: raw.kind, userId: assertUserId(raw.userId), streamIds: validateStreamIds(raw.streamIds) } };
    case "revokePublish":
      return { roomId: room, change: { kind: raw.kind, userId: assertUserId(raw.userId) } };
    case "setPublishers":
      return { roomId: room, change: { kind: raw.kind, publishers: validatePublishers(raw.publishers) } };
    case "setAccess":
      return { roomId: room, change: { kind: raw.kind, access: validateAccess(raw.access), members: validateMembers(raw.members) } };
    case "addMembers":
    case "removeMembers":
      return { roomId: room, change: { kind: raw.kind, userIds: validateUserIds(raw.userIds) } };
  }
}
