import { createSecretKey, type KeyObject } from "node:crypto";
import { InvalidArgumentError } from "./errors.js";

/** Length of a ZEGO ServerSecret, which is used as an AES-256 key as is. */
export const SECRET_BYTES = 32;

const MAX_CACHED_KEYS = 16;
const keys = new Map<string, KeyObject>();

/**
 * Returns the AES-256 key object for a ServerSecret, built once per secret: encoding is a hot path.
 * Throws {@link InvalidArgumentError} (field `secret`) unless the secret is exactly 32 bytes.
 */
export function secretKey(secret: string): KeyObject {
  const cached = keys.get(secret);
  if (cached !== undefined) return cached;
  if (typeof secret !== "string" || Buffer.byteLength(secret, "utf8") !== SECRET_BYTES) {
    throw new InvalidArgumentError("secret", `must be exactly ${SECRET_BYTES} bytes`);
  }
  if (keys.size >= MAX_CACHED_KEYS) keys.clear();
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  keys.set(secret, key);
  return key;
}
