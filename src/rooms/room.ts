/** Who may log into a room. */
export const RoomAccess = { OPEN: "OPEN", MEMBERS_ONLY: "MEMBERS_ONLY" } as const;
/** `OPEN` (anyone authenticated) or `MEMBERS_ONLY` (listed members). */
export type RoomAccess = (typeof RoomAccess)[keyof typeof RoomAccess];

/** A user allowed to publish, with their stream allow-list. */
export interface Publisher {
  readonly userId: string;
  /** Stream IDs this user may publish; `null` means any. */
  readonly streamIds: readonly string[] | null;
}

/** A room's state; every change bumps `version`. */
export interface RoomState {
  readonly roomId: string;
  readonly access: RoomAccess;
  /** Members, sorted. */
  readonly members: readonly string[];
  /** Publishers sorted by userId, or `null` while the room has no publish rules (then DEFAULT_CAN_PUBLISH applies). */
  readonly publishers: readonly Publisher[] | null;
  /** 0 for a room never changed; increases by one per change. */
  readonly version: number;
  /**
   * Random, chosen when the room is first stored and kept with it: state that reappears with another
   * epoch (a Redis that lost its data) restarted its versions, so versions compare only within an epoch.
   * `""` for a room never stored.
   */
  readonly epoch: string;
}

/** A change a game server makes to a room. */
export type RoomChange =
  | { readonly kind: "grantPublish"; readonly userId: string; readonly streamIds: readonly string[] | null }
  | { readonly kind: "revokePublish"; readonly userId: string }
  | { readonly kind: "setPublishers"; readonly publishers: readonly Publisher[] }
  /** With `members`, the member list is replaced in the same change (one version). */
  | { readonly kind: "setAccess"; readonly access: RoomAccess; readonly members?: readonly string[] | null }
  | { readonly kind: "addMembers"; readonly userIds: readonly string[] }
  | { readonly kind: "removeMembers"; readonly userIds: readonly string[] };

/** What a stored change did. `affected` is `null` when every user of the room may be affected. */
export interface ChangeResult {
  readonly room: RoomState;
  readonly changed: boolean;
  readonly affected: readonly string[] | null;
  /** Members this change removed (they also lost any publish right). */
  readonly removed?: readonly string[];
}

/** A fresh room epoch: 64 random bits as hex. */
export function newEpoch(randomBytes: (n: number) => Uint8Array): string {
  return Buffer.from(randomBytes(8)).toString("hex");
}

/** The state of a room nobody has configured. */
export function emptyRoom(roomId: string): RoomState {
  return { roomId, access: RoomAccess.OPEN, members: [], publishers: null, version: 0, epoch: "" };
}

/** Caps that keep one call and one room bounded. */
export const ROOM_LIMITS = Object.freeze({
  /** Entries in one list argument (userIds, publishers). */
  maxListEntries: 1000,
  /** Stream IDs allowed per publisher. */
  maxStreamIdsPerUser: 20,
  /** Members one room may hold. */
  maxMembers: 10_000,
  /** Publishers one room may hold. */
  maxPublishers: 1000,
});
