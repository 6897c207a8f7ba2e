import { TokenError, TokenErrorCode } from "./errors.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, MAX_TOKEN_CHARS, MODE_GCM, TOKEN_VERSION, type TokenMode } from "./format.js";

/** Base64 as a backend does it fastest (Buffer on Node, atob/btoa in browsers). */
export interface Base64 {
  decode(text: string): Uint8Array;
  encode(bytes: Uint8Array): string;
}

/** The unencrypted frame of a token04. */
export interface Envelope {
  readonly expire: number;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mode: TokenMode;
}

/** A `TOKEN_MALFORMED` error; never quotes the token. */
export function malformed(why: string): TokenError {
  return new TokenError(TokenErrorCode.MALFORMED, `token is malformed: ${why}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses the frame of a token04 (version, canonical base64, lengths, mode byte) without decrypting. */
export function parseEnvelope(token: unknown, base64: Base64): Envelope {
  if (typeof token !== "string") throw malformed("not a string");
  if (token.length < 2) throw malformed("too short");
  if (!token.startsWith(TOKEN_VERSION)) throw new TokenError(TokenErrorCode.UNSUPPORTED_VERSION, "token version is not 04");
  const body = token.slice(2);
  if (body.length > MAX_TOKEN_CHARS) throw malformed("too long");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) throw malformed("not standard base64");
  const bytes = base64.decode(body);
  if (base64.encode(bytes) !== body) throw malformed("not canonical base64");
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

/**
 * Lays out a token04's bytes: int64 expire, uint16 IV length, IV, uint16 ciphertext length, the
 * ciphertext `parts` (with the GCM tag last) and, for GCM, the mode byte. `alloc` picks the buffer type.
 */
export function layoutEnvelope<T extends Uint8Array>(expire: number, iv: Uint8Array, parts: readonly Uint8Array[], mode: TokenMode, alloc: (size: number) => T): T {
  let ctLength = 0;
  for (const part of parts) ctLength += part.length;
  const out = alloc(12 + iv.length + ctLength + (mode === "gcm" ? 1 : 0));
  // int64 big-endian without BigInt: expire is a safe integer, so the high word fits 21 bits.
  writeUint32(out, 0, Math.floor(expire / 0x100000000));
  writeUint32(out, 4, expire >>> 0);
  out[8] = iv.length >>> 8;
  out[9] = iv.length & 0xff;
  out.set(iv, 10);
  let at = 10 + iv.length;
  out[at++] = ctLength >>> 8;
  out[at++] = ctLength & 0xff;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  if (mode === "gcm") out[at] = MODE_GCM;
  return out;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** The big-endian int32 at `at` (the plaintext nonce is drawn from random bytes this way). */
export function readInt32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}
