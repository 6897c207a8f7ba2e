import { DECRYPT_FAILED_MESSAGE, InvalidArgumentError, TokenError, TokenErrorCode } from "../../token/errors.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, MODE_GCM, TOKEN_VERSION, type TokenMode } from "../../token/format.js";
import { assertAppId, assertUserId } from "../../token/ids.js";
import { parsePrivilegePayload, type RoomPrivilege } from "../../token/payload.js";
import { isRecord } from "../../util/json.js";

// The token04 codec on WebCrypto, for the browser: no Node built-ins. It shares the format
// constants, ID rules, payload parser and error codes with src/token, so both accept and refuse the
// same tokens with the same codes.

export { buildPrivilegePayload } from "../../token/payload.js";
export { TokenError, ZEGO_ERROR_CODES } from "../../token/errors.js";
export type { RoomPrivilege } from "../../token/payload.js";

/** A decrypted, structurally valid token04 (same fields as the library's `DecodedToken04`). */
export interface WebDecodedToken {
  readonly mode: TokenMode;
  readonly appId: number;
  readonly userId: string;
  readonly nonce: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly payload: string;
  readonly privilege: RoomPrivilege | null;
  readonly plaintext: Readonly<Record<string, unknown>>;
}

/** Inputs of {@link encodeTokenWeb}. */
export interface WebEncodeInput {
  readonly appId: number;
  readonly userId: string;
  readonly secret: string;
  readonly effectiveTimeInSeconds: number;
  /** `""` for a basic token, or a payload from `buildPrivilegePayload`. */
  readonly payload?: string;
  readonly mode?: TokenMode;
  /** Unix seconds; default the system clock. */
  readonly now?: number;
  /** Fills a buffer with CSPRNG bytes; default `crypto.getRandomValues`. */
  readonly randomFill?: (bytes: Uint8Array) => void;
}

/** What a verifier expects; same meaning as the library's `verifyToken04` options. */
export interface WebVerifyOptions {
  readonly secret: string;
  readonly appId: number;
  readonly userId?: string;
  readonly roomId?: string;
  readonly streamId?: string;
  readonly publish?: boolean;
  readonly now?: number;
}

/**
 * What `zego-token verify` reports for a basic token. (The library's `BASIC_TOKEN_NOTE` lives beside
 * node:crypto code, so the page keeps a copy; a unit test keeps the two equal.)
 */
export const BASIC_TOKEN_NOTE =
  "basic token: not restricted by room or stream; accepted only where privilege checks are off in ZEGO's console";

/** The outcome of {@link verifyTokenWeb}: valid (`restricted: false` for a basic token) or a failure code. */
export type WebVerdict =
  | { readonly valid: true; readonly restricted: boolean; readonly decoded: WebDecodedToken }
  | { readonly valid: false; readonly code: TokenErrorCode; readonly zegoErrorCode: number; readonly message: string };

const MAX_TOKEN_CHARS = 90_000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_PLAINTEXT_BYTES = 0xffff - 16;
const MAX_EFFECTIVE_TIME_SECONDS = 0x7fffffff;
const encoder = new TextEncoder();
type Bytes = Uint8Array<ArrayBuffer>;
// Copies into a fresh ArrayBuffer, the only kind WebCrypto's types accept.
const utf8 = (text: string): Bytes => new Uint8Array(encoder.encode(text));

function malformed(why: string): TokenError {
  return new TokenError(TokenErrorCode.MALFORMED, `token is malformed: ${why}`);
}

function decryptFailed(): TokenError {
  return new TokenError(TokenErrorCode.DECRYPT_FAILED, DECRYPT_FAILED_MESSAGE);
}

function keyBytes(secret: string): Bytes {
  const bytes = typeof secret === "string" ? utf8(secret) : new Uint8Array(0);
  if (bytes.length !== 32) throw new InvalidArgumentError("secret", "must be exactly 32 bytes");
  return bytes;
}

function importKey(secret: string, mode: TokenMode, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", keyBytes(secret), mode === "gcm" ? "AES-GCM" : "AES-CBC", false, [usage]);
}

function fromBase64(text: string): Bytes {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

interface Envelope {
  readonly expire: number;
  readonly iv: Bytes;
  readonly ciphertext: Bytes;
  readonly mode: TokenMode;
}

function parseEnvelope(token: unknown): Envelope {
  if (typeof token !== "string") throw malformed("not a string");
  if (token.length < 2) throw malformed("too short");
  if (!token.startsWith(TOKEN_VERSION)) throw new TokenError(TokenErrorCode.UNSUPPORTED_VERSION, "token version is not 04");
  const body = token.slice(2);
  if (body.length > MAX_TOKEN_CHARS) throw malformed("too long");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) throw malformed("not standard base64");
  const bytes = fromBase64(body);
  if (toBase64(bytes) !== body) throw malformed("not canonical base64");
  if (bytes.length < 10) throw malformed("truncated header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expireBig = view.getBigInt64(0);
  if (expireBig < 0n || expireBig > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("expire out of range");
  const ivLength = view.getUint16(8);
  let at = 10;
  if (at + ivLength + 2 > bytes.length) throw malformed("nonce length does not fit");
  const iv = bytes.subarray(at, at + ivLength);
  at += ivLength;
  const ctLength = view.getUint16(at);
  at += 2;
  if (at + ctLength > bytes.length) throw malformed("ciphertext length does not fit");
  const ciphertext = bytes.subarray(at, at + ctLength);
  at += ctLength;
  const rest = bytes.length - at;
  let mode: TokenMode;
  if (rest === 0) mode = "cbc";
  else if (rest === 1) {
    if (bytes[at] !== MODE_GCM) throw new TokenError(TokenErrorCode.UNSUPPORTED_MODE, "token mode byte is not 1 (GCM)");
    mode = "gcm";
  } else throw malformed("trailing bytes");
  if (mode === "gcm") {
    if (ivLength !== GCM_NONCE_BYTES) throw malformed("GCM nonce must be 12 bytes");
    if (ctLength <= GCM_TAG_BYTES) throw malformed("ciphertext shorter than the GCM tag");
  } else {
    if (ivLength !== CBC_IV_BYTES) throw malformed("CBC IV must be 16 bytes");
    if (ctLength === 0 || ctLength % 16 !== 0) throw malformed("CBC ciphertext is not whole blocks");
  }
  return { expire: Number(expireBig), iv, ciphertext, mode };
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

/** Decodes, decrypts and checks expiry; rejects with {@link TokenError} (or InvalidArgumentError for the secret). */
export async function decodeTokenWeb(token: unknown, options: { readonly secret: string; readonly now?: number }): Promise<WebDecodedToken> {
  const envelope = parseEnvelope(token);
  const key = await importKey(options.secret, envelope.mode, "decrypt");
  let clear: ArrayBuffer;
  try {
    clear =
      envelope.mode === "gcm"
        ? await crypto.subtle.decrypt({ name: "AES-GCM", iv: envelope.iv, tagLength: GCM_TAG_BYTES * 8 }, key, envelope.ciphertext)
        : await crypto.subtle.decrypt({ name: "AES-CBC", iv: envelope.iv }, key, envelope.ciphertext);
  } catch {
    throw decryptFailed();
  }
  let plain: unknown;
  try {
    plain = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(clear));
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

/** Mints a token04 in the layout of ZEGO's official generators (GCM by default, legacy CBC on request). */
export async function encodeTokenWeb(input: WebEncodeInput): Promise<string> {
  const appId = assertAppId(input.appId);
  const userId = assertUserId(input.userId);
  const ttl = input.effectiveTimeInSeconds;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_EFFECTIVE_TIME_SECONDS) {
    throw new InvalidArgumentError("effectiveTimeInSeconds", `must be an integer from 1 to ${MAX_EFFECTIVE_TIME_SECONDS}`);
  }
  const mode = input.mode ?? "gcm";
  if (mode !== "gcm" && mode !== "cbc") throw new InvalidArgumentError("mode", 'must be "gcm" or "cbc"');
  const key = await importKey(input.secret, mode, "encrypt");
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const ivBytes = mode === "gcm" ? GCM_NONCE_BYTES : CBC_IV_BYTES;
  const rand = new Uint8Array(ivBytes + 4);
  (input.randomFill ?? ((b: Uint8Array) => crypto.getRandomValues(b)))(rand);
  const iv = rand.slice(0, ivBytes);
  const nonce = new DataView(rand.buffer).getInt32(ivBytes);
  const expire = now + ttl;
  // Key order as in ZEGO's official Node.js generator.
  const plaintext = utf8(
    `{"app_id":${appId},"user_id":${JSON.stringify(userId)},"nonce":${nonce},"ctime":${now},"expire":${expire},"payload":${JSON.stringify(input.payload ?? "")}}`,
  );
  if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new InvalidArgumentError("payload", "is too long for a token");
  const ciphertext = new Uint8Array(
    mode === "gcm"
      ? await crypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: GCM_TAG_BYTES * 8 }, key, plaintext)
      : await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, plaintext),
  );
  const out = new Uint8Array(8 + 2 + ivBytes + 2 + ciphertext.length + (mode === "gcm" ? 1 : 0));
  const view = new DataView(out.buffer);
  view.setBigInt64(0, BigInt(expire));
  view.setUint16(8, ivBytes);
  out.set(iv, 10);
  view.setUint16(10 + ivBytes, ciphertext.length);
  out.set(ciphertext, 12 + ivBytes);
  if (mode === "gcm") out[out.length - 1] = MODE_GCM;
  return TOKEN_VERSION + toBase64(out);
}

/**
 * Applies ZEGO's checks like the CLI's `verify`: app, user, room, login, publish, stream allow-list.
 * A basic token (no privilege) passes, reported as `restricted: false`: it is not tied to a room or stream.
 */
export async function verifyTokenWeb(token: unknown, options: WebVerifyOptions): Promise<WebVerdict> {
  try {
    const decoded = await decodeTokenWeb(token, { secret: options.secret, ...(options.now === undefined ? {} : { now: options.now }) });
    const fail = (code: TokenErrorCode, message: string): never => {
      throw new TokenError(code, message);
    };
    if (decoded.appId !== options.appId) fail(TokenErrorCode.APP_MISMATCH, "token is for another app");
    if (options.userId !== undefined && decoded.userId !== options.userId) fail(TokenErrorCode.USER_MISMATCH, "token is for another user");
    const privilege = decoded.privilege;
    if (privilege === null) return { valid: true, restricted: false, decoded };
    if (options.roomId !== undefined && privilege.roomId !== options.roomId) fail(TokenErrorCode.ROOM_MISMATCH, "token is for another room");
    if (!privilege.canLoginRoom) fail(TokenErrorCode.LOGIN_DENIED, "token does not allow logging into the room");
    if (options.publish ?? options.streamId !== undefined) {
      if (!privilege.canPublish) fail(TokenErrorCode.PUBLISH_DENIED, "token does not allow publishing");
      if (options.streamId !== undefined && privilege.streamIds !== null && !privilege.streamIds.includes(options.streamId)) {
        fail(TokenErrorCode.STREAM_DENIED, "token does not allow publishing this stream");
      }
    }
    return { valid: true, restricted: true, decoded };
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    return { valid: false, code: e.code, zegoErrorCode: e.zegoErrorCode, message: e.message };
  }
}
