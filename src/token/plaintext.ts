import { isRecord } from "../util/json.js";
import type { DecodedToken04, EncodeToken04Input } from "./codec.js";
import { malformed, type Envelope } from "./envelope.js";
import { DECRYPT_FAILED_MESSAGE, InvalidArgumentError, TokenError, TokenErrorCode } from "./errors.js";
import { MAX_EFFECTIVE_TIME_SECONDS, MAX_PLAINTEXT_BYTES, type TokenMode } from "./format.js";
import { assertAppId, assertUserId } from "./ids.js";
import { parsePrivilegePayload } from "./payload.js";

/** Encoder inputs after validation, with the backend's key for the secret. */
export interface CheckedEncodeInput<K> {
  readonly appId: number;
  readonly userId: string;
  readonly key: K;
  readonly payload: string;
  readonly mode: TokenMode;
  readonly now: number;
  readonly expire: number;
}

/** The current time in unix seconds. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Validates encoder inputs in a fixed order (appId, userId, secret, lifetime, payload, mode, now), so
 * every backend names the same field first; `key` turns the secret into the backend's key or throws.
 */
export function checkEncodeInput<K>(input: EncodeToken04Input, now: number | undefined, key: (secret: string) => K): CheckedEncodeInput<K> {
  const appId = assertAppId(input.appId);
  const userId = assertUserId(input.userId);
  const secretKey = key(input.secret);
  const ttl = input.effectiveTimeInSeconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_EFFECTIVE_TIME_SECONDS) {
    throw new InvalidArgumentError("effectiveTimeInSeconds", `must be an integer from 1 to ${MAX_EFFECTIVE_TIME_SECONDS}`);
  }
  const payload = input.payload ?? "";
  if (typeof payload !== "string") throw new InvalidArgumentError("payload", "must be a string");
  const mode = input.mode ?? "gcm";
  if (mode !== "gcm" && mode !== "cbc") throw new InvalidArgumentError("mode", 'must be "gcm" or "cbc"');
  const at = now ?? nowSeconds();
  if (!Number.isSafeInteger(at) || at < 0) throw new InvalidArgumentError("now", "must be a non-negative integer of unix seconds");
  return { appId, userId, key: secretKey, payload, mode, now: at, expire: at + ttl };
}

// A validated userID has no character JSON escapes except the backslash.
function jsonString(value: string): string {
  return value.includes("\\") ? JSON.stringify(value) : `"${value}"`;
}

// Payloads repeat per room, so their JSON form is cached (bounded; cleared when full).
const payloadJson = new Map<string, string>();
function jsonPayload(payload: string): string {
  let json = payloadJson.get(payload);
  if (json === undefined) {
    json = JSON.stringify(payload);
    if (payloadJson.size >= 1024) payloadJson.clear();
    payloadJson.set(payload, json);
  }
  return json;
}

/**
 * The JSON a token encrypts, key order and spelling as in ZEGO's official Node.js generator. Throws when
 * it cannot fit a token; `utf8Length` measures exactly, and runs only when 3 bytes per unit is too many.
 */
export function tokenPlaintext(input: CheckedEncodeInput<unknown>, nonce: number, utf8Length: (text: string) => number): string {
  const text = `{"app_id":${input.appId},"user_id":${jsonString(input.userId)},"nonce":${nonce},"ctime":${input.now},"expire":${input.expire},"payload":${jsonPayload(input.payload)}}`;
  if (text.length * 3 > MAX_PLAINTEXT_BYTES && utf8Length(text) > MAX_PLAINTEXT_BYTES) {
    throw new InvalidArgumentError("payload", "is too long for a token");
  }
  return text;
}

/** The error of every decryption failure, so failures reveal nothing about why. */
export function decryptFailed(): TokenError {
  return new TokenError(TokenErrorCode.DECRYPT_FAILED, DECRYPT_FAILED_MESSAGE);
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

/** Reads decrypted text: JSON object, typed fields, header expire equal to the encrypted one, not expired. */
export function readPlaintext(text: string, envelope: Envelope, now: number | undefined): DecodedToken04 {
  let plain: unknown;
  try {
    plain = JSON.parse(text);
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
  if ((now ?? nowSeconds()) >= expiresAt) throw new TokenError(TokenErrorCode.EXPIRED, "token has expired");
  return { mode: envelope.mode, appId, userId, nonce, issuedAt, expiresAt, payload, privilege, plaintext: plain };
}

/** The fields tools print for a decoded token (the CLI's JSON and the Token Assistant's), privilege flattened. */
export function tokenFields(decoded: DecodedToken04): Record<string, unknown> {
  return {
    mode: decoded.mode,
    appId: decoded.appId,
    userId: decoded.userId,
    nonce: decoded.nonce,
    issuedAt: decoded.issuedAt,
    expiresAt: decoded.expiresAt,
    payload: decoded.payload,
    roomId: decoded.privilege?.roomId ?? null,
    canLoginRoom: decoded.privilege?.canLoginRoom ?? null,
    canPublish: decoded.privilege?.canPublish ?? null,
    streamIds: decoded.privilege?.streamIds ?? null,
  };
}
