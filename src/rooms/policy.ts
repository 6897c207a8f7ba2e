import { InvalidArgumentError } from "../token/index.js";
import { ROOM_LIMITS, type ChangeResult, type Publisher, type RoomChange, type RoomState } from "./room.js";

/** What a user may do in a room: the content of their privilege token. */
export interface Privilege {
  readonly canLoginRoom: boolean;
  readonly canPublish: boolean;
  readonly streamIds: readonly string[] | null;
}

/** True when the user may enter the room at all. */
export function hasAccess(room: RoomState, userId: string): boolean {
  return room.access === "OPEN" || binaryIncludes(room.members, userId);
}

// A turn change makes every subscriber of the room decide at once; index each (immutable) state once.
const publisherIndex = new WeakMap<readonly Publisher[], ReadonlyMap<string, Publisher>>();

function findPublisher(publishers: readonly Publisher[], userId: string): Publisher | undefined {
  if (publishers.length < 16) return publishers.find((p) => p.userId === userId);
  let index = publisherIndex.get(publishers);
  if (index === undefined) {
    index = new Map(publishers.map((p) => [p.userId, p]));
    publisherIndex.set(publishers, index);
  }
  return index.get(userId);
}

/** The privilege a user gets in a room (pure). Call only for users with access. */
export function decidePrivilege(room: RoomState, userId: string, defaultCanPublish: boolean): Privilege {
  const canLoginRoom = hasAccess(room, userId);
  if (room.publishers === null) return { canLoginRoom, canPublish: canLoginRoom && defaultCanPublish, streamIds: null };
  const entry = findPublisher(room.publishers, userId);
  if (entry === undefined || !canLoginRoom) return { canLoginRoom, canPublish: false, streamIds: null };
  return { canLoginRoom, canPublish: true, streamIds: entry.streamIds };
}

/** True when two privileges would produce tokens with the same rights. */
export function samePrivilege(a: Privilege, b: Privilege): boolean {
  if (a.canLoginRoom !== b.canLoginRoom || a.canPublish !== b.canPublish) return false;
  if (a.streamIds === null || b.streamIds === null) return a.streamIds === b.streamIds;
  return a.streamIds.length === b.streamIds.length && a.streamIds.every((s, i) => s === b.streamIds?.[i]);
}

function binaryIncludes(sorted: readonly string[], value: string): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] as string;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function samePublisher(a: Publisher | undefined, b: Publisher | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return samePrivilege({ canLoginRoom: true, canPublish: true, streamIds: a.streamIds }, { canLoginRoom: true, canPublish: true, streamIds: b.streamIds });
}

function withPublishers(room: RoomState, publishers: Publisher[]): ChangeResult {
  const sorted = publishers.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  if (sorted.length > ROOM_LIMITS.maxPublishers) throw new InvalidArgumentError("publishers", `a room holds at most ${ROOM_LIMITS.maxPublishers} publishers`);
  const before = new Map((room.publishers ?? []).map((p) => [p.userId, p]));
  const after = new Map(sorted.map((p) => [p.userId, p]));
  const affected = sortedUnique([...before.keys(), ...after.keys()]).filter((u) => !samePublisher(before.get(u), after.get(u)));
  // Turning rules on (null -> list) changes the default for everyone.
  if (room.publishers === null) return { room: { ...room, publishers: sorted, version: room.version + 1 }, changed: true, affected: null };
  if (affected.length === 0) return { room, changed: false, affected: [] };
  return { room: { ...room, publishers: sorted, version: room.version + 1 }, changed: true, affected };
}

/** Sets access and replaces the member list as one change; removed members lose their publish right, as with removeMembers. */
function withAccessAndMembers(room: RoomState, access: RoomState["access"], list: readonly string[]): ChangeResult {
  const members = sortedUnique(list);
  if (members.length > ROOM_LIMITS.maxMembers) throw new InvalidArgumentError("members", `a room holds at most ${ROOM_LIMITS.maxMembers} members`);
  const keeping = new Set(members);
  const removed = room.members.filter((u) => !keeping.has(u));
  const added = members.filter((u) => !binaryIncludes(room.members, u));
  if (room.access === access && removed.length === 0 && added.length === 0) return { room, changed: false, affected: [] };
  const removing = new Set(removed);
  const publishers = room.publishers === null ? null : room.publishers.filter((p) => !removing.has(p.userId));
  const next = { ...room, access, members, publishers, version: room.version + 1 };
  return { room: next, changed: true, affected: room.access === access ? sortedUnique([...added, ...removed]) : null, removed };
}

/**
 * Applies a validated change to a room (pure). Bumps the version only when something changed.
 * Throws {@link InvalidArgumentError} when the result would break a room limit.
 */
export function applyChange(room: RoomState, change: RoomChange): ChangeResult {
  switch (change.kind) {
    case "grantPublish": {
      const rest = (room.publishers ?? []).filter((p) => p.userId !== change.userId);
      return withPublishers(room, [...rest, { userId: change.userId, streamIds: change.streamIds }]);
    }
    case "revokePublish":
      return withPublishers(room, (room.publishers ?? []).filter((p) => p.userId !== change.userId));
    case "setPublishers":
      return withPublishers(room, [...change.publishers]);
    case "setAccess":
      if (change.members !== undefined && change.members !== null) return withAccessAndMembers(room, change.access, change.members);
      if (room.access === change.access) return { room, changed: false, affected: [] };
      return { room: { ...room, access: change.access, version: room.version + 1 }, changed: true, affected: null };
    case "addMembers": {
      const added = change.userIds.filter((u) => !binaryIncludes(room.members, u));
      if (added.length === 0) return { room, changed: false, affected: [] };
      const members = sortedUnique([...room.members, ...added]);
      if (members.length > ROOM_LIMITS.maxMembers) throw new InvalidArgumentError("userIds", `a room holds at most ${ROOM_LIMITS.maxMembers} members`);
      return { room: { ...room, members, version: room.version + 1 }, changed: true, affected: sortedUnique(added) };
    }
    case "removeMembers": {
      const removing = new Set(change.userIds);
      const removed = room.members.filter((u) => removing.has(u));
      if (removed.length === 0) return { room, changed: false, affected: [] };
      // A removed member loses the publish right too: re-adding them must not restore it without a grant.
      const publishers = room.publishers === null ? null : room.publishers.filter((p) => !removing.has(p.userId));
      const members = room.members.filter((u) => !removing.has(u));
      return { room: { ...room, members, publishers, version: room.version + 1 }, changed: true, affected: removed, removed };
    }
  }
}
