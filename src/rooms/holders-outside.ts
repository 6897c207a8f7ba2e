import { hasAccess } from "./policy.js";
import { RoomAccess, type RoomState } from "./room.js";
import type { RoomStore } from "./store.js";

/**
 * Users holding an unexpired token for a members-only room who are not members: shut out, though only
 * their tokens tell that they are there (silent listeners). Empty for an open room.
 */
export async function holdersOutside(store: Pick<RoomStore, "tokenHolders">, room: RoomState, nowMs: number): Promise<string[]> {
  if (room.access !== RoomAccess.MEMBERS_ONLY) return [];
  return (await store.tokenHolders(room.roomId, nowMs)).map((h) => h.userId).filter((u) => !hasAccess(room, u));
}
