import { createDecipheriv } from "node:crypto";
import type { DecodedToken04, DecodeToken04Options } from "./codec.js";
import { parseEnvelope, type Base64, type Envelope } from "./envelope.js";
import { GCM_TAG_BYTES } from "./format.js";
import { decryptFailed, readPlaintext } from "./plaintext.js";
import { secretKey } from "./secret-key.js";

export type { DecodedToken04, DecodeToken04Options } from "./codec.js";

const nodeBase64: Base64 = {
  decode: (text) => Buffer.from(text, "base64"),
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
};

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

/**
 * Decodes and decrypts a token04 on node:crypto and checks its expiry. Throws only `TokenError` for any
 * token input (codes MALFORMED, UNSUPPORTED_VERSION, UNSUPPORTED_MODE, DECRYPT_FAILED, EXPIRED); a
 * secret that is not 32 bytes throws `InvalidArgumentError`.
 */
export function decodeToken04(token: unknown, options: DecodeToken04Options): DecodedToken04 {
  const envelope = parseEnvelope(token, nodeBase64);
  return readPlaintext(decrypt(envelope, options.secret).toString("utf8"), envelope, options.now);
}
