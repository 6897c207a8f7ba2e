import { createHash, timingSafeEqual } from "node:crypto";

/**
 * ZEGO server API request signature: lowercase hex md5 of the plain concatenation
 * `AppId + SignatureNonce + ServerSecret + Timestamp` (decimal AppId, unix seconds). A new nonce and
 * signature are needed for every request.
 */
export function signServerApiRequest(appId: number, nonce: string, serverSecret: string, timestampSeconds: number): string {
  return createHash("md5").update(`${appId}${nonce}${serverSecret}${timestampSeconds}`).digest("hex");
}

/** ZEGO callback signature: sha1 of the three strings sorted in dictionary order and joined. */
export function callbackSignature(callbackSecret: string, timestamp: string, nonce: string): string {
  return createHash("sha1").update([callbackSecret, timestamp, nonce].sort().join("")).digest("hex");
}

/** Checks a callback signature in constant time. */
export function verifyCallbackSignature(callbackSecret: string, timestamp: string, nonce: string, signature: string): boolean {
  const expected = Buffer.from(callbackSignature(callbackSecret, timestamp, nonce), "utf8");
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}
