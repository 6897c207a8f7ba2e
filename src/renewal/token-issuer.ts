import type { Clock } from "../clock/clock.js";
import { AccessDeniedError } from "../errors/service-errors.js";
import { decidePrivilege, hasAccess, type Privilege } from "../rooms/policy.js";
import type { RoomState } from "../rooms/room.js";
import type { IssuedRecord, RoomStore } from "../rooms/store.js";
import { assertRoomId, buildPrivilegePayload, encodeToken04, InvalidArgumentError, type RandomBytes } from "../token/index.js";
import { readHeldToken, type HeldToken, type HeldTokenCheck } from "./held-token.js";
import { renewAtMs, type RenewalTiming } from "./schedule.js";

/** A minted token with what the client needs to use and renew it. */
export interface RoomToken {
  readonly token: string;
  readonly appId: number;
  readonly userId: string;
  /** `null` for a basic token. */
  readonly roomId: string | null;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** Unix ms: when the service will push a fresh token. */
  readonly renewAtMs: number;
  /** Unix ms at minting, so clients can correct their clock skew. */
  readonly serverTimeMs: number;
  readonly canLoginRoom: boolean;
  readonly canPublish: boolean;
  readonly streamIds: readonly string[] | null;
  /** Room version the privileges come from (0 for basic tokens and unconfigured rooms). */
  readonly version: number;
}

/** A user's current privilege in a room and the room version it comes from. */
export interface Decision {
  readonly version: number;
  /** The room's epoch (versions compare only within one); `""` for basic tokens and unstored rooms. */
  readonly epoch: string;
  readonly privilege: Privilege;
}

/** Settings of {@link createTokenIssuer}. */
export interface TokenIssuerOptions {
  readonly appId: number;
  readonly serverSecret: string;
  readonly tokenTtlSeconds: number;
  readonly tokenMaxTtlSeconds: number;
  readonly timing: RenewalTiming;
  readonly defaultCanPublish: boolean;
  readonly store: RoomStore;
  readonly clock: Clock;
  /** Uniform random in [0, 1) for renewal jitter. */
  readonly random: () => number;
  /** CSPRNG bytes for token nonces; default the codec's pooled CSPRNG. */
  readonly randomBytes?: RandomBytes;
  /** Called for every minted token (metrics). */
  readonly onMint?: (kind: "basic" | "room") => void;
  /**
   * Called when a room this instance read before comes back without its state, or with another epoch:
   * the shared store lost data (a Redis restarted without persistence), so members-only rooms read as
   * open and publish rules as unset until game servers set them again.
   */
  readonly onStateLost?: (roomId: string) => void;
}

/** Decides privileges and mints tokens: authenticate, read the room, decide, mint, record the last token issued. */
export interface TokenIssuer {
  /** Validates a requested lifetime (default TOKEN_TTL_SECONDS). */
  ttl(effectiveTimeInSeconds: number | null | undefined): number;
  /**
   * Caps a lifetime so the token does not outlive the caller's credential (unix ms; none for game
   * servers), never going below the minimum TTL (renewal lead + 30 s).
   */
  capTtl(ttlSeconds: number, credentialExpiresAtMs: number | undefined): number;
  /** The user's privilege now; throws AccessDeniedError for a non-member of a members-only room. */
  decide(userId: string, roomId: string | null): Promise<Decision>;
  /** Mints a token for a decision and records it as the last one issued. */
  mint(userId: string, roomId: string | null, decision: Decision, ttlSeconds: number): Promise<RoomToken>;
  /** `decide` then `mint`. */
  issue(userId: string, roomId: string | null, ttlSeconds: number): Promise<RoomToken>;
  /**
   * The record of the last token minted for the user and room. It says what was minted, not what the
   * client received: use it for the lifetime the user asked for, never to decide what the client holds.
   */
  lastIssued(userId: string, roomId: string | null): Promise<IssuedRecord | null>;
  /** Decrypts and checks a token the subscriber says it holds (see {@link readHeldToken}); never throws for bad input. */
  readHeld(userId: string, roomId: string | null, token: string): HeldTokenCheck;
  /** When a token the subscriber holds is to be renewed (unix ms, with jitter). */
  renewAtOf(held: HeldToken): number;
  readonly timing: RenewalTiming;
  readonly defaultTtlSeconds: number;
}

// Privilege payloads repeat across a room's users and renewals: build (and validate) each one once.
const PAYLOAD_CACHE_SIZE = 4096;
const payloads = new Map<string, string>();
function privilegePayload(roomId: string, privilege: Privilege): string {
  const key = `${roomId}\u0000${privilege.canLoginRoom ? 1 : 0}${privilege.canPublish ? 1 : 0}\u0000${privilege.streamIds === null ? "*" : privilege.streamIds.join(",")}`;
  let payload = payloads.get(key);
  if (payload === undefined) {
    payload = buildPrivilegePayload({ roomId, ...privilege });
    if (payloads.size >= PAYLOAD_CACHE_SIZE) payloads.clear();
    payloads.set(key, payload);
  }
  return payload;
}

const BASIC: Decision = Object.freeze({ version: 0, epoch: "", privilege: Object.freeze({ canLoginRoom: true, canPublish: true, streamIds: null }) });

const EPOCH_CACHE_SIZE = 50_000;

/** Creates a {@link TokenIssuer}. */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const { store, clock, timing } = options;
  const minTtl = timing.leadSeconds + 30;
  // Single flight: subscribers of a room that decide at the same moment (a turn change) share one read.
  const reading = new Map<string, Promise<RoomState>>();
  // Epochs of rooms read recently, to notice state that vanished or was recreated.
  const epochs = new Map<string, string>();
  const noticeEpoch = (room: RoomState) => {
    const known = epochs.get(room.roomId);
    if (known !== undefined && known !== "" && known !== room.epoch) options.onStateLost?.(room.roomId);
    if (known === room.epoch) return;
    if (epochs.size >= EPOCH_CACHE_SIZE) epochs.clear();
    epochs.set(room.roomId, room.epoch);
  };
  const readRoom = (roomId: string): Promise<RoomState> => {
    let pending = reading.get(roomId);
    if (pending === undefined) {
      pending = store.getRoom(roomId).finally(() => reading.delete(roomId));
      reading.set(roomId, pending);
    }
    return pending;
  };

  const issuer: TokenIssuer = {
    timing,
    defaultTtlSeconds: options.tokenTtlSeconds,
    ttl(requested) {
      if (requested === null || requested === undefined) return options.tokenTtlSeconds;
      if (!Number.isInteger(requested) || requested < minTtl || requested > options.tokenMaxTtlSeconds) {
        throw new InvalidArgumentError("effectiveTimeInSeconds", `must be an integer from ${minTtl} to ${options.tokenMaxTtlSeconds}`);
      }
      return requested;
    },
    capTtl(ttlSeconds, credentialExpiresAtMs) {
      if (credentialExpiresAtMs === undefined) return ttlSeconds;
      const left = Math.floor((credentialExpiresAtMs - clock.now()) / 1000);
      return Math.max(minTtl, Math.min(ttlSeconds, left));
    },
    async decide(userId, roomId) {
      if (roomId === null) return BASIC;
      const room = await readRoom(assertRoomId(roomId));
      if (!hasAccess(room, userId)) throw new AccessDeniedError("this room is for members only");
      noticeEpoch(room);
      return { version: room.version, epoch: room.epoch, privilege: decidePrivilege(room, userId, options.defaultCanPublish) };
    },
    async mint(userId, roomId, decision, ttlSeconds) {
      const nowMs = clock.now();
      const now = Math.floor(nowMs / 1000);
      const { privilege } = decision;
      const payload = roomId === null ? "" : privilegePayload(roomId, privilege);
      const token = encodeToken04(
        { appId: options.appId, userId, secret: options.serverSecret, effectiveTimeInSeconds: ttlSeconds, payload },
        options.randomBytes === undefined ? { now } : { now, randomBytes: options.randomBytes },
      );
      const expiresAt = now + ttlSeconds;
      const renewAt = renewAtMs(now, expiresAt, timing, options.random());
      const record: IssuedRecord = { version: decision.version, issuedAt: now, expiresAt, renewAtMs: renewAt, ttlSeconds, ...privilege };
      await store.putIssued(userId, roomId, record, nowMs);
      options.onMint?.(roomId === null ? "basic" : "room");
      return { token, appId: options.appId, userId, roomId, issuedAt: now, expiresAt, renewAtMs: renewAt, serverTimeMs: nowMs, ...privilege, version: decision.version };
    },
    async issue(userId, roomId, ttlSeconds) {
      return issuer.mint(userId, roomId, await issuer.decide(userId, roomId), ttlSeconds);
    },
    lastIssued: (userId, roomId) => store.getIssued(userId, roomId),
    readHeld: (userId, roomId, token) =>
      readHeldToken(token, { secret: options.serverSecret, appId: options.appId, userId, roomId, nowSeconds: Math.floor(clock.now() / 1000) }),
    renewAtOf: (held) => renewAtMs(held.issuedAt, held.expiresAt, timing, options.random()),
  };
  return issuer;
}
