import { createCipheriv } from "node:crypto";
import type { EncodeToken04Input, EncodeToken04Options } from "./codec.js";
import { layoutEnvelope, readInt32 } from "./envelope.js";
import { CBC_IV_BYTES, GCM_NONCE_BYTES, TOKEN_VERSION } from "./format.js";
import { checkEncodeInput, tokenPlaintext } from "./plaintext.js";
import { pooledRandomBytes } from "./random.js";
import { secretKey } from "./secret-key.js";

export type { EncodeToken04Input, EncodeToken04Options } from "./codec.js";
export { MAX_EFFECTIVE_TIME_SECONDS } from "./format.js";

const utf8Length = (text: string) => Buffer.byteLength(text, "utf8");
const allocBuffer = (size: number) => Buffer.allocUnsafe(size);

/**
 * Mints a token04 ("04" + base64 of expire, nonce, ciphertext and mode) on node:crypto, byte for byte in
 * the layout of ZEGO's official generators. Randomness defaults to a pooled `crypto.randomFillSync`.
 */
export function encodeToken04(input: EncodeToken04Input, options: EncodeToken04Options = {}): string {
  const checked = checkEncodeInput(input, options.now, secretKey);
  const random = options.randomBytes ?? pooledRandomBytes;
  const gcm = checked.mode === "gcm";
  const ivBytes = gcm ? GCM_NONCE_BYTES : CBC_IV_BYTES;
  const rand = random(ivBytes + 4);
  const iv = rand.subarray(0, ivBytes);
  const plaintext = tokenPlaintext(checked, readInt32(rand, ivBytes), utf8Length);
  let parts: Buffer[];
  if (gcm) {
    const cipher = createCipheriv("aes-256-gcm", checked.key, iv);
    parts = [cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()];
  } else {
    const cipher = createCipheriv("aes-256-cbc", checked.key, iv);
    parts = [cipher.update(plaintext, "utf8"), cipher.final()];
  }
  return TOKEN_VERSION + layoutEnvelope(checked.expire, iv, parts, checked.mode, allocBuffer).toString("base64");
}
