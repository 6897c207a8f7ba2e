import { InvalidArgumentError } from "./errors.js";
import { SECRET_BYTES } from "./format.js";

const MAX_CACHED_KEYS = 16;
const keys = new Map<string, Buffer>();

/**
 * Returns the AES-256 key bytes for a ServerSecret, validated and converted once per secret: encoding is
 * a hot path. (A raw key is faster than a KeyObject in createCipheriv on Node 20; see docs/BENCHMARKS.md.)
 * Throws {@link InvalidArgumentError} (field `secret`) unless the secret is exactly 32 bytes.
 */
export function secretKey(secret: string): Buffer {
  const cached = keys.get(secret);
  if (cached !== undefined) return cached;
  if (typeof secret !== "string" || Buffer.byteLength(secret, "utf8") !== SECRET_BYTES) {
    throw new InvalidArgumentError("secret", `must be exactly ${SECRET_BYTES} bytes`);
  }
  if (keys.size >= MAX_CACHED_KEYS) keys.clear();
  const key = Buffer.from(secret, "utf8");
  keys.set(secret, key);
  return key;
}
