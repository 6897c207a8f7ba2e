import type { ChangeMeta, RoomHistoryEntry } from "./history.js";
import type { ChangeResult, RoomChange, RoomState } from "./room.js";

/** The last token issued to a (user, room), shared by all instances so a subscriber is not re-sent it. */
export interface IssuedRecord {
  /** Room version the token was minted from (0 for basic tokens). */
  readonly version: number;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** When the token should be renewed, unix ms. */
  readonly renewAtMs: number;
  /** Lifetime the user asked for, reused for renewals. */
  readonly ttlSeconds: number;
  readonly canLoginRoom: boolean;
  readonly canPublish: boolean;
  readonly streamIds: readonly string[] | null;
}

/** A user holding an unexpired token issued for a room. */
export interface TokenHolder {
  readonly userId: string;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly canPublish: boolean;
  readonly streamIds: readonly string[] | null;
}

/** Orders token holders by userId (code-unit order, as the room's other lists). */
export function byUserId(a: TokenHolder, b: TokenHolder): number {
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

/** Token holders indexed per room; beyond this the ones expiring soonest are dropped from the index. */
export const MAX_TOKEN_HOLDERS_PER_ROOM = 10_000;

/**
 * Room state, its history and issued-token records. Every method is async and every change is atomic with a version
 * bump; implementations: memory (one instance) and Redis (many). Failures to reach the backing store
 * throw `UnavailableError` and change nothing.
 */
export interface RoomStore {
  /** The room's state, or the empty state (version 0) for a room never configured. */
  getRoom(roomId: string): Promise<RoomState>;
  /**
   * Applies a change atomically with `applyChange` from the policy, and records its history entry in the
   * same atomic step (a no-op or a refused change records nothing); returns the stored result.
   */
  applyChange(roomId: string, change: RoomChange, meta?: ChangeMeta): Promise<ChangeResult>;
  /** The room's last `last` history entries (at most the configured history length), oldest first. */
  history(roomId: string, last: number): Promise<RoomHistoryEntry[]>;
  /** Users holding an unexpired token issued for the room, by userId. */
  tokenHolders(roomId: string, nowMs: number): Promise<TokenHolder[]>;
  /** The record of the last token issued to the user for the room (`null` room: basic token). */
  getIssued(userId: string, roomId: string | null): Promise<IssuedRecord | null>;
  /** Stores the record; it lapses when the token expires. */
  putIssued(userId: string, roomId: string | null, record: IssuedRecord, nowMs: number): Promise<void>;
  /** Resolves when the store is reachable; throws `UnavailableError` otherwise. */
  ping(): Promise<void>;
  /** Releases connections and timers. */
  stop(): Promise<void>;
}
