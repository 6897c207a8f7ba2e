import { parseJsonObject } from "../util/json.js";

/**
 * A stream's ban state. `a` (applied at ZEGO): -1 never touched, 0 open, 1 banned, 2 a forbid may have
 * landed (sent, no answer yet), 3 a resume may have landed. The Redis store's Lua mirrors these rules.
 */
export interface StreamItem {
  /** Room, for logs and views. */
  r: string;
  /** Wanted: 1 banned, 0 open. */
  d: 0 | 1;
  a: -1 | 0 | 1 | 2 | 3;
  /** 1: forbid once even though the wanted state is open (stop a live publisher of a stream another user may use). */
  b: 0 | 1;
  /** Failed attempts. */
  at: number;
  /** When the pending work was first needed (unix ms). */
  q: number;
  /** Lease token; "" when not leased. */
  c: string;
  /** 1: claimed alone (its batch was rejected; an item ZEGO rejects alone is dropped). */
  s?: 0 | 1;
}

/** A pending kick. */
export interface KickItem {
  r: string;
  u: string;
  why: string;
  at: number;
  q: number;
  c: string;
  /** 1: claimed alone, as for a stream. */
  s?: 0 | 1;
}

const solo = (s: unknown): s is 0 | 1 | undefined => s === undefined || s === 0 || s === 1;

/** The call a stream needs next, or null when ZEGO already matches. */
export function streamAction(item: StreamItem): "forbid" | "resume" | null {
  if (item.b === 1 || (item.d === 1 && item.a !== 1)) return "forbid";
  if (item.d === 0 && (item.a === 1 || item.a === 2 || item.a === 3)) return "resume";
  return null;
}

/** True when the item holds nothing worth keeping (open, and never or surely not banned at ZEGO). */
export function streamForgettable(item: StreamItem): boolean {
  return item.d === 0 && item.b === 0 && (item.a === -1 || item.a === 0);
}

/** True when ZEGO confirmed the stream's ban and it is still wanted (what a room shows as banned). */
export function streamConfirmedBanned(item: StreamItem | undefined): boolean {
  return item !== undefined && item.d === 1 && item.a === 1;
}

/** Key of a stream item. */
export const streamKey = (streamId: string) => `s:${streamId}`;
/** Key of a kick item. */
export const kickKey = (roomId: string, userId: string) => `k:${roomId}\n${userId}`;

/** Parses a stored stream item; undefined when invalid. */
export function parseStreamItem(json: string | null | undefined): StreamItem | undefined {
  const v = json == null ? undefined : parseJsonObject(json);
  if (v === undefined) return undefined;
  const { r, d, a, b, at, q, c, s } = v;
  if (typeof r !== "string" || (d !== 0 && d !== 1) || (b !== 0 && b !== 1) || typeof c !== "string" || !solo(s)) return undefined;
  if (a !== -1 && a !== 0 && a !== 1 && a !== 2 && a !== 3) return undefined;
  if (typeof at !== "number" || typeof q !== "number") return undefined;
  return { r, d, a, b, at, q, c, ...(s === undefined ? {} : { s }) };
}

/** Orders due entries `[key, dueMs]` as a Redis sorted set does: by time, then by key (IDs are ASCII, so code-unit order is byte order). */
export function byDue(x: readonly [string, number], y: readonly [string, number]): number {
  return x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);
}
