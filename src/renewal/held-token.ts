import { samePrivilege, type Privilege } from "../rooms/policy.js";
import { decodeToken04, TokenError } from "../token/index.js";
import { withinLead, type RenewalTiming } from "./schedule.js";

/** A token a subscriber showed, decrypted and checked to be one this service minted for it. */
export interface HeldToken {
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly privilege: Privilege;
}

/** Why a shown token cannot stand for what the subscriber holds (a token code, or one of these). */
export const HeldTokenRefusal = {
  /** A privilege token shown on a basic-token subscription, or a basic token on a room subscription. */
  WRONG_KIND: "HELD_WRONG_KIND",
} as const;

/** Outcome of {@link readHeldToken}: the token's facts, or the code that refused it. */
export type HeldTokenCheck = { readonly held: HeldToken } | { readonly refused: string };

/** What a shown token must be for. */
export interface HeldTokenExpectation {
  readonly secret: string;
  readonly appId: number;
  readonly userId: string;
  /** `null`: a basic-token subscription. */
  readonly roomId: string | null;
  /** Unix seconds. */
  readonly nowSeconds: number;
}

/**
 * Decrypts and checks the token a subscriber says it holds (pure): it must decrypt with our secret and
 * be for this app, this user and this room (a basic token for a basic subscription), and unexpired.
 * Never throws for bad input: a token that fails any check is refused with its code, and the caller
 * treats the subscriber as holding nothing.
 */
export function readHeldToken(token: string, expect: HeldTokenExpectation): HeldTokenCheck {
  try {
    const decoded = decodeToken04(token, { secret: expect.secret, now: expect.nowSeconds });
    if (decoded.appId !== expect.appId) return { refused: "TOKEN_APP_MISMATCH" };
    if (decoded.userId !== expect.userId) return { refused: "TOKEN_USER_MISMATCH" };
    const privilege = decoded.privilege;
    if (expect.roomId === null) {
      if (privilege !== null) return { refused: HeldTokenRefusal.WRONG_KIND };
      return { held: { issuedAt: decoded.issuedAt, expiresAt: decoded.expiresAt, privilege: { canLoginRoom: true, canPublish: true, streamIds: null } } };
    }
    if (privilege === null) return { refused: HeldTokenRefusal.WRONG_KIND };
    if (privilege.roomId !== expect.roomId) return { refused: "TOKEN_ROOM_MISMATCH" };
    const { canLoginRoom, canPublish, streamIds } = privilege;
    return { held: { issuedAt: decoded.issuedAt, expiresAt: decoded.expiresAt, privilege: { canLoginRoom, canPublish, streamIds } } };
  } catch (e) {
    if (e instanceof TokenError) return { refused: e.code };
    throw e;
  }
}

/**
 * Whether a verified held token is the one the subscriber should have now (pure): it grants exactly the
 * current rights (login, publish, stream list) and has more than the renewal lead left. Room versions
 * are not compared: tokens do not carry one, and a token granting exactly the current rights is the
 * right token whatever changes came and went since it was minted.
 */
export function holdsCurrent(held: HeldToken, current: Privilege, nowMs: number, timing: RenewalTiming): boolean {
  return samePrivilege(held.privilege, current) && !withinLead(held.expiresAt, nowMs, timing);
}
