import { TokenServiceError } from "./errors.js";

/** A ZEGO token04 and what it allows, as the service returns it. */
export interface RoomToken {
  token: string;
  appId: number;
  userId: string;
  roomId: string | null;
  issuedAt: string;
  expiresAt: string;
  renewAt: string;
  serverTime: string;
  canLoginRoom: boolean;
  canPublish: boolean;
  streamIds: string[] | null;
  version: number;
}

/**
 * Why a token was applied: the service's push reasons, ISSUED for the login token, FALLBACK when
 * no push came by renewAt plus the grace period, WILL_EXPIRE when the SDK warned first.
 */
export type TokenReason = "INITIAL" | "EXPIRING" | "PRIVILEGE_CHANGED" | "RESYNC" | "ISSUED" | "FALLBACK" | "WILL_EXPIRE";

/** A token that was applied to the engine. */
export interface TokenUpdate {
  reason: TokenReason;
  token: RoomToken;
}

export const TOKEN_FIELDS = "token appId userId roomId issuedAt expiresAt renewAt serverTime canLoginRoom canPublish streamIds version";

/** Checks a token object from the wire. */
export function parseRoomToken(value: unknown): RoomToken {
  const v = value as Record<string, unknown> | null;
  const ok =
    typeof v === "object" && v !== null &&
    typeof v.token === "string" && typeof v.appId === "number" && typeof v.userId === "string" &&
    (v.roomId === null || typeof v.roomId === "string") &&
    typeof v.issuedAt === "string" && typeof v.expiresAt === "string" && typeof v.renewAt === "string" &&
    typeof v.serverTime === "string" && typeof v.canLoginRoom === "boolean" && typeof v.canPublish === "boolean" &&
    (v.streamIds === null || (Array.isArray(v.streamIds) && v.streamIds.every((s) => typeof s === "string"))) &&
    typeof v.version === "number";
  if (!ok) throw new TokenServiceError("BAD_RESPONSE", "the service sent a malformed token");
  return v as unknown as RoomToken;
}

/**
 * Milliseconds from receipt until the token should have been renewed, from the server's own
 * timestamps only, so a wrong device clock does not matter.
 */
export function msUntilRenewal(token: RoomToken): number {
  const renewAt = Date.parse(token.renewAt);
  const serverTime = Date.parse(token.serverTime);
  if (!Number.isFinite(renewAt) || !Number.isFinite(serverTime)) return 0;
  return Math.max(0, renewAt - serverTime);
}
