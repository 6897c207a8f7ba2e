import type { DecodedToken04, DecodeToken04Options, EncodeToken04Input, EncodeToken04Options, TokenCodec, VerifyToken04Options } from "./codec.js";
import { layoutEnvelope, parseEnvelope, readInt32, type Base64 } from "./envelope.js";
import { InvalidArgumentError } from "./errors.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, SECRET_BYTES, TOKEN_VERSION, type TokenMode } from "./format.js";
import { checkEncodeInput, decryptFailed, readPlaintext, tokenPlaintext } from "./plaintext.js";
import { checkVerifyRules } from "./verify-rules.js";

// The token04 codec on WebCrypto (browsers, workers, Deno, Node's global crypto): no Node built-ins.

type Bytes = Uint8Array<ArrayBuffer>;
const encoder = new TextEncoder();
// Copies into a fresh ArrayBuffer, the only kind WebCrypto's types accept.
const fresh = (bytes: Uint8Array): Bytes => new Uint8Array(bytes);
const utf8 = (text: string): Bytes => new Uint8Array(encoder.encode(text));

const webBase64: Base64 = {
  decode(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  },
  encode(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  },
};

function keyBytes(secret: string): Bytes {
  const bytes = typeof secret === "string" ? utf8(secret) : new Uint8Array(0);
  if (bytes.length !== SECRET_BYTES) throw new InvalidArgumentError("secret", `must be exactly ${SECRET_BYTES} bytes`);
  return bytes;
}

function importKey(key: Bytes, mode: TokenMode, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key, mode === "gcm" ? "AES-GCM" : "AES-CBC", false, [usage]);
}

const randomBytes = (size: number): Uint8Array => crypto.getRandomValues(new Uint8Array(size));

async function encode(input: EncodeToken04Input, options: EncodeToken04Options = {}): Promise<string> {
  const checked = checkEncodeInput(input, options.now, keyBytes);
  const key = await importKey(checked.key, checked.mode, "encrypt");
  const gcm = checked.mode === "gcm";
  const ivBytes = gcm ? GCM_NONCE_BYTES : CBC_IV_BYTES;
  const rand = (options.randomBytes ?? randomBytes)(ivBytes + 4);
  const iv = fresh(rand.subarray(0, ivBytes));
  const plaintext = utf8(tokenPlaintext(checked, readInt32(rand, ivBytes), (text) => encoder.encode(text).length));
  const ciphertext = new Uint8Array(
    gcm
      ? await crypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: GCM_TAG_BYTES * 8 }, key, plaintext)
      : await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, plaintext),
  );
  return TOKEN_VERSION + webBase64.encode(layoutEnvelope(checked.expire, iv, [ciphertext], checked.mode, (size) => new Uint8Array(size)));
}

async function decode(token: unknown, options: DecodeToken04Options): Promise<DecodedToken04> {
  const envelope = parseEnvelope(token, webBase64);
  const key = await importKey(keyBytes(options.secret), envelope.mode, "decrypt");
  let text: string;
  try {
    const iv = fresh(envelope.iv);
    const ciphertext = fresh(envelope.ciphertext);
    const clear =
      envelope.mode === "gcm"
        ? await crypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: GCM_TAG_BYTES * 8 }, key, ciphertext)
        : await crypto.subtle.decrypt({ name: "AES-CBC", iv }, key, ciphertext);
    text = new TextDecoder("utf-8", { fatal: true }).decode(clear);
  } catch {
    throw decryptFailed();
  }
  return readPlaintext(text, envelope, options.now);
}

async function verify(token: unknown, options: VerifyToken04Options): Promise<DecodedToken04> {
  return checkVerifyRules(await decode(token, options.now === undefined ? { secret: options.secret } : { secret: options.secret, now: options.now }), options);
}

/** The token04 codec on WebCrypto: asynchronous, randomness from `crypto.getRandomValues`. */
export const webTokenCodec: TokenCodec<false> = { encode, decode, verify };
