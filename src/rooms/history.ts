import { isRecord, parseJsonObject } from "../util/json.js";
import type { Publisher, RoomChange, RoomState } from "./room.js";

/** One committed room change, as `roomHistory` and `roomChanged` report it. */
export interface RoomHistoryEntry {
  /** The room version this change produced. */
  readonly version: number;
  readonly epoch: string;
  /** Commit time, unix ms. */
  readonly atMs: number;
  /** The name of the service key that made the change (never the key). */
  readonly actor: string;
  /** The mutation: grantPublish, revokePublish, setPublishers, setRoomAccess, addRoomMembers, removeRoomMembers. */
  readonly operation: string;
  /** What changed, for people: "turn: alice lost publish, bob may publish any stream". */
  readonly summary: string;
}

/** Who made a change and when; the store stamps it on the change's history entry. */
export interface ChangeMeta {
  readonly actor: string;
  readonly atMs: number;
}

/** Default of ROOM_HISTORY_LENGTH: committed changes kept per room. */
export const DEFAULT_ROOM_HISTORY_LENGTH = 1000;

const OPERATIONS: Readonly<Record<RoomChange["kind"], string>> = {
  grantPublish: "grantPublish",
  revokePublish: "revokePublish",
  setPublishers: "setPublishers",
  setAccess: "setRoomAccess",
  addMembers: "addRoomMembers",
  removeMembers: "removeRoomMembers",
};

const NAMES_SHOWN = 5;

function names(userIds: readonly string[]): string {
  if (userIds.length <= NAMES_SHOWN) return userIds.join(", ");
  return `${userIds.slice(0, NAMES_SHOWN).join(", ")} and ${userIds.length - NAMES_SHOWN} more`;
}

function streams(p: Publisher): string {
  return p.streamIds === null ? "any stream" : p.streamIds.join(", ");
}

function publisherChanges(before: readonly Publisher[] | null, after: readonly Publisher[] | null): string[] {
  const was = new Map((before ?? []).map((p) => [p.userId, p]));
  const now = new Map((after ?? []).map((p) => [p.userId, p]));
  const users = [...new Set([...was.keys(), ...now.keys()])].sort();
  const parts: string[] = [];
  for (const u of users) {
    const a = was.get(u);
    const b = now.get(u);
    if (b === undefined) parts.push(`${u} lost publish`);
    else if (a === undefined || streams(a) !== streams(b)) parts.push(`${u} may publish ${streams(b)}`);
  }
  if (before === null && after !== null) parts.unshift(parts.length === 0 ? "publish rules on: nobody may publish" : "publish rules on");
  return parts.length > 12 ? [...parts.slice(0, 12), `${parts.length - 12} more publisher changes`] : parts;
}

/** A human summary of what a committed change did, from the states before and after it (pure). */
export function summarizeChange(before: RoomState, after: RoomState, change: RoomChange): string {
  const parts: string[] = [];
  if (change.kind === "setAccess" && change.members !== undefined && change.members !== null) {
    parts.push(`access ${after.access} with ${after.members.length} member${after.members.length === 1 ? "" : "s"}`);
  } else if (before.access !== after.access) parts.push(`access ${after.access}`);
  const kept = new Set(after.members);
  const had = new Set(before.members);
  const added = after.members.filter((u) => !had.has(u));
  const removed = before.members.filter((u) => !kept.has(u));
  if (added.length > 0) parts.push(`${names(added)} added`);
  if (removed.length > 0) parts.push(`${names(removed)} removed`);
  const turn = publisherChanges(before.publishers, after.publishers);
  if (turn.length > 0) parts.push(`${change.kind === "setPublishers" ? "turn: " : ""}${turn.join(", ")}`);
  return parts.length === 0 ? "no visible change" : parts.join("; ");
}

/** The history entry of a committed change (pure). */
export function historyEntry(before: RoomState, after: RoomState, change: RoomChange, meta: ChangeMeta): RoomHistoryEntry {
  return { version: after.version, epoch: after.epoch, atMs: meta.atMs, actor: meta.actor, operation: OPERATIONS[change.kind], summary: summarizeChange(before, after, change) };
}

/** Serialises an entry for storage. */
export function serializeHistoryEntry(entry: RoomHistoryEntry): string {
  const { version, epoch, atMs, actor, operation, summary } = entry;
  return JSON.stringify({ version, epoch, atMs, actor, operation, summary });
}

/** Parses a stored entry; `undefined` when it is not valid. */
export function parseHistoryEntry(json: string): RoomHistoryEntry | undefined {
  const v = parseJsonObject(json);
  if (!isRecord(v)) return undefined;
  const { version, epoch, atMs, actor, operation, summary } = v;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || typeof atMs !== "number" || !Number.isFinite(atMs)) return undefined;
  if (typeof epoch !== "string" || typeof actor !== "string" || typeof operation !== "string" || typeof summary !== "string") return undefined;
  return { version, epoch, atMs, actor, operation, summary };
}
