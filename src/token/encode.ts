import { createCipheriv } from "node:crypto";
import { InvalidArgumentError } from "./errors.js";
import { assertAppId, assertUserId } from "./ids.js";
import { pooledRandomBytes, type RandomBytes } from "./random.js";
import { secretKey } from "./secret-key.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, MODE_GCM, TOKEN_VERSION, type TokenMode } from "./format.js";

/** Inputs of {@link encodeToken04}. */
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

/** Injected time and randomness. */
export interface EncodeToken04Options {
  /** Current time in unix seconds; defaults to the system clock. */
  readonly now?: number;
  /** CSPRNG bytes; defaults to a pooled `crypto.randomFillSync`. */
  readonly randomBytes?: RandomBytes;
}

/** Longest lifetime accepted by the codec (the int32 range; services cap far lower). */
export const MAX_EFFECTIVE_TIME_SECONDS = 0x7fffffff;
// The ciphertext length is a uint16; GCM adds a 16-byte tag, CBC up to 16 bytes of padding.
const MAX_PLAINTEXT_BYTES = 0xffff - 16;

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

/** Mints a token04 ("04" + base64 of expire, nonce, ciphertext and mode), byte for byte in the layout of ZEGO's official generators. */
export function encodeToken04(input: EncodeToken04Input, options: EncodeToken04Options = {}): string {
  const appId = assertAppId(input.appId);
  const userId = assertUserId(input.userId);
  const key = secretKey(input.secret);
  const ttl = input.effectiveTimeInSeconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_EFFECTIVE_TIME_SECONDS) {
    throw new InvalidArgumentError("effectiveTimeInSeconds", `must be an integer from 1 to ${MAX_EFFECTIVE_TIME_SECONDS}`);
  }
  const payload = input.payload ?? "";
  if (typeof payload !== "string") throw new InvalidArgumentError("payload", "must be a string");
  const mode = input.mode ?? "gcm";
  if (mode !== "gcm" && mode !== "cbc") throw new InvalidArgumentError("mode", 'must be "gcm" or "cbc"');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(now) || now < 0) throw new InvalidArgumentError("now", "must be a non-negative integer of unix seconds");
  const random = options.randomBytes ?? pooledRandomBytes;

  const ivBytes = mode === "gcm" ? GCM_NONCE_BYTES : CBC_IV_BYTES;
  const rand = random(ivBytes + 4);
  const iv = rand.subarray(0, ivBytes);
  const nonce = rand.readInt32BE(ivBytes);
  const expire = now + ttl;
  // Key order and spelling as in ZEGO's official Node.js generator.
  const plaintext = `{"app_id":${appId},"user_id":${jsonString(userId)},"nonce":${nonce},"ctime":${now},"expire":${expire},"payload":${jsonPayload(payload)}}`;
  // UTF-8 needs at most 3 bytes per UTF-16 unit; measure exactly only when that bound is too high.
  if (plaintext.length * 3 > MAX_PLAINTEXT_BYTES && Buffer.byteLength(plaintext, "utf8") > MAX_PLAINTEXT_BYTES) {
    throw new InvalidArgumentError("payload", "is too long for a token");
  }

  let head: Buffer;
  let tail: Buffer;
  let tag: Buffer | undefined;
  if (mode === "gcm") {
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    head = cipher.update(plaintext, "utf8");
    tail = cipher.final();
    tag = cipher.getAuthTag();
  } else {
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    head = cipher.update(plaintext, "utf8");
    tail = cipher.final();
  }
  const ctLength = head.length + tail.length + (tag?.length ?? 0);

  const out = Buffer.allocUnsafe(8 + 2 + ivBytes + 2 + ctLength + (mode === "gcm" ? 1 : 0));
  // int64 big-endian without BigInt: expire is a safe integer, so the high word fits 21 bits.
  out.writeUInt32BE(Math.floor(expire / 0x100000000), 0);
  let at = out.writeUInt32BE(expire >>> 0, 4);
  at = out.writeUInt16BE(ivBytes, at);
  at += iv.copy(out, at);
  at = out.writeUInt16BE(ctLength, at);
  at += head.copy(out, at);
  at += tail.copy(out, at);
  if (tag !== undefined) {
    at += tag.copy(out, at);
    out.writeUInt8(MODE_GCM, at);
  }
  return TOKEN_VERSION + out.toString("base64");
}
