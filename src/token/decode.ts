import { createDecipheriv } from "node:crypto";
import { DECRYPT_FAILED_MESSAGE, TokenError, TokenErrorCode } from "./errors.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, MODE_GCM, TOKEN_VERSION, type TokenMode } from "./format.js";
import { parsePrivilegePayload, type RoomPrivilege } from "./payload.js";
import { secretKey } from "./secret-key.js";
import { isRecord } from "../util/json.js";

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

/** Options of {@link decodeToken04}. */
export interface DecodeToken04Options {
  /** The 32-byte ServerSecret. */
  readonly secret: string;
  /** Current time in unix seconds; defaults to the system clock. */
  readonly now?: number;
}

// Largest possible token: a 65535-byte ciphertext in base64, with headroom for the header.
const MAX_TOKEN_CHARS = 90_000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function malformed(why: string): TokenError {
  return new TokenError(TokenErrorCode.MALFORMED, `token is malformed: ${why}`);
}

function decryptFailed(): TokenError {
  return new TokenError(TokenErrorCode.DECRYPT_FAILED, DECRYPT_FAILED_MESSAGE);
}

interface Envelope {
  readonly expire: number;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly mode: TokenMode;
}

function parseEnvelope(token: unknown): Envelope {
  if (typeof token !== "string") throw malformed("not a string");
  if (token.length < 2) throw malformed("too short");
  if (!token.startsWith(TOKEN_VERSION)) {
    throw new TokenError(TokenErrorCode.UNSUPPORTED_VERSION, "token version is not 04");
  }
  const body = token.slice(2);
  if (body.length > MAX_TOKEN_CHARS) throw malformed("too long");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) throw malformed("not standard base64");
  const bytes = Buffer.from(body, "base64");
  if (bytes.toString("base64") !== body) throw malformed("not canonical base64");

  if (bytes.length < 10) throw malformed("truncated header");
  const expireBig = bytes.readBigInt64BE(0);
  if (expireBig < 0n || expireBig > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("expire out of range");
  const ivLength = bytes.readUInt16BE(8);
  let at = 10;
  if (at + ivLength + 2 > bytes.length) throw malformed("nonce length does not fit");
  const iv = bytes.subarray(at, at + ivLength);
  at += ivLength;
  const ctLength = bytes.readUInt16BE(at);
  at += 2;
  if (at + ctLength > bytes.length) throw malformed("ciphertext length does not fit");
  const ciphertext = bytes.subarray(at, at + ctLength);
  at += ctLength;

  const rest = bytes.length - at;
  let mode: TokenMode;
  if (rest === 0) {
    mode = "cbc";
  } else if (rest === 1) {
    if (bytes[at] !== MODE_GCM) throw new TokenError(TokenErrorCode.UNSUPPORTED_MODE, "token mode byte is not 1 (GCM)");
    mode = "gcm";
  } else {
    throw malformed("trailing bytes");
  }
  if (mode === "gcm") {
    if (ivLength !== GCM_NONCE_BYTES) throw malformed("GCM nonce must be 12 bytes");
    if (ctLength <= GCM_TAG_BYTES) throw malformed("ciphertext shorter than the GCM tag");
  } else {
    if (ivLength !== CBC_IV_BYTES) throw malformed("CBC IV must be 16 bytes");
    if (ctLength === 0 || ctLength % 16 !== 0) throw malformed("CBC ciphertext is not whole blocks");
  }
  return { expire: Number(expireBig), iv, ciphertext, mode };
}

function decrypt(envelope: Envelope, secret: string): Buffer {
  const key = secretKey(secret);
  try {
    if (envelope.mode === "gcm") {
      const split = envelope.ciphertext.length - GCM_TAG_BYTES;
      const decipher = createDecipheriv("aes-256-gcm", key, envelope.iv);
      decipher.setAuthTag(envelope.ciphertext.subarray(split));
      return Buffer.concat([decipher.update(envelope.ciphertext.subarray(0, split)), decipher.final()]);
    }
    const decipher = createDecipheriv("aes-256-cbc", key, envelope.iv);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  } catch {
    throw decryptFailed();
  }
}

function integerField(plain: Record<string, unknown>, name: string, min: number, max: number): number {
  const value = plain[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw malformed(`field ${name} missing or not an integer in range`);
  }
  return value;
}

function stringField(plain: Record<string, unknown>, name: string): string {
  const value = plain[name];
  if (typeof value !== "string") throw malformed(`field ${name} missing or not a string`);
  return value;
}

/**
 * Decodes and decrypts a token04 and checks its expiry. Throws only {@link TokenError} for any token
 * input (codes MALFORMED, UNSUPPORTED_VERSION, UNSUPPORTED_MODE, DECRYPT_FAILED, EXPIRED); a secret
 * that is not 32 bytes throws `InvalidArgumentError`.
 */
export function decodeToken04(token: unknown, options: DecodeToken04Options): DecodedToken04 {
  const envelope = parseEnvelope(token);
  const clear = decrypt(envelope, options.secret);
  let plain: unknown;
  try {
    plain = JSON.parse(clear.toString("utf8"));
  } catch {
    throw decryptFailed();
  }
  if (!isRecord(plain)) throw decryptFailed();

  const appId = integerField(plain, "app_id", 0, 0xffffffff);
  const userId = stringField(plain, "user_id");
  const nonce = integerField(plain, "nonce", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const issuedAt = integerField(plain, "ctime", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const expiresAt = integerField(plain, "expire", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const payload = stringField(plain, "payload");
  if (expiresAt !== envelope.expire) throw malformed("header expire differs from the encrypted expire");
  const privilege = parsePrivilegePayload(payload);

  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (now >= expiresAt) throw new TokenError(TokenErrorCode.EXPIRED, "token has expired");

  return { mode: envelope.mode, appId, userId, nonce, issuedAt, expiresAt, payload, privilege, plaintext: plain };
}
