import type { RoomPrivilege } from "./payload.js";
import type { TokenMode } from "./format.js";

/** A source of cryptographically secure random bytes; injectable so tests can pin output. */
export type RandomBytes = (size: number) => Uint8Array;

/** Inputs of a token encoder. */
export interface EncodeToken04Input {
  /** ZEGO AppID, 1..2^32-1. */
  readonly appId: number;
  /** The user the token is for (ZEGO userID rules). */
  readonly userId: string;
  /** The 32-byte ServerSecret. */
  readonly secret: string;
  /** Lifetime in seconds, a positive integer. */
  readonly effectiveTimeInSeconds: number;
  /** `""` for a basic token, or a privilege payload from `buildPrivilegePayload`. */
  readonly payload?: string;
  /** `"gcm"` (current, default) or `"cbc"` (legacy). */
  readonly mode?: TokenMode;
}

/** Injected time and randomness of a token encoder. */
export interface EncodeToken04Options {
  /** Current time in unix seconds; defaults to the system clock. */
  readonly now?: number;
  /** CSPRNG bytes; defaults to the backend's generator. */
  readonly randomBytes?: RandomBytes;
}

/** A decrypted, structurally valid token04. */
export interface DecodedToken04 {
  /** `"gcm"` or legacy `"cbc"`. */
  readonly mode: TokenMode;
  readonly appId: number;
  readonly userId: string;
  /** The random int32 in the plaintext (may be negative). */
  readonly nonce: number;
  /** `ctime`, unix seconds. */
  readonly issuedAt: number;
  /** `expire`, unix seconds. */
  readonly expiresAt: number;
  /** The payload string as stored in the token. */
  readonly payload: string;
  /** The parsed room privilege, or `null` for a basic token. */
  readonly privilege: RoomPrivilege | null;
  /** The decrypted JSON object as is. */
  readonly plaintext: Readonly<Record<string, unknown>>;
}

/** Options of a token decoder. */
export interface DecodeToken04Options {
  /** The 32-byte ServerSecret. */
  readonly secret: string;
  /** Current time in unix seconds; defaults to the system clock. */
  readonly now?: number;
}

/** What a verifier expects of a token, as ZEGO's server checks it at login and publish. */
export interface VerifyToken04Options {
  /** The 32-byte ServerSecret. */
  readonly secret: string;
  /** The AppID the token must be for. */
  readonly appId: number;
  /** The user who presents the token. */
  readonly userId?: string;
  /** The room being logged into. */
  readonly roomId?: string;
  /** The stream being published; implies `publish`. */
  readonly streamId?: string;
  /** Check the publish privilege. */
  readonly publish?: boolean;
  /** Current time in unix seconds; defaults to the system clock. */
  readonly now?: number;
}

/** What a codec returns: the value itself (node:crypto) or a promise of it (WebCrypto). */
export type CodecResult<T, Sync extends boolean> = Sync extends true ? T : Promise<T>;

/**
 * The token04 codec on one crypto backend. Both backends share the format and rules of this folder,
 * so they accept and refuse the same tokens with the same codes and mint byte-identical tokens.
 */
export interface TokenCodec<Sync extends boolean> {
  encode(input: EncodeToken04Input, options?: EncodeToken04Options): CodecResult<string, Sync>;
  /** Decodes, decrypts and checks expiry; fails with `TokenError` (or `InvalidArgumentError` for the secret). */
  decode(token: unknown, options: DecodeToken04Options): CodecResult<DecodedToken04, Sync>;
  /** Decodes and applies ZEGO's checks (see `checkVerifyRules`). */
  verify(token: unknown, options: VerifyToken04Options): CodecResult<DecodedToken04, Sync>;
}
