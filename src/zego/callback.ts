import { assertRoomId, assertStreamId, isUserId } from "../token/index.js";
import { isRecord } from "../util/json.js";
import { verifyCallbackSignature } from "./signature.js";

/** How far a callback's timestamp may be from our clock. */
export const CALLBACK_MAX_SKEW_MS = 10 * 60 * 1000;

/** A stream starting or stopping, as ZEGO reports it. */
export interface StreamCallbackEvent {
  readonly kind: "create" | "close";
  readonly roomId: string;
  readonly userId: string;
  readonly streamId: string;
  /** When ZEGO saw it (unix ms), for ordering retried deliveries. */
  readonly atMs: number;
}

/** A user logging into a room (`room_login`), as ZEGO reports it. */
export interface LoginCallbackEvent {
  readonly kind: "login";
  readonly roomId: string;
  readonly userId: string;
}

/** A signed event this service does not track, or a tracked one whose fields are invalid. */
export interface OtherCallbackEvent {
  readonly kind: "ignored" | "invalid";
  /** The event name (at most 64 characters). */
  readonly name: string;
}

/**
 * A callback whose signature and timestamp are good. Its timestamp and nonce must be used up before
 * the event is acted on (or refused), whatever the event: the signature does not cover the body.
 */
export interface VerifiedCallback {
  /** `${timestamp}:${nonce}`: seen twice means a replay. */
  readonly replayKey: string;
  readonly event: StreamCallbackEvent | LoginCallbackEvent | OtherCallbackEvent;
}

/** Why a callback was refused; nothing is recorded for it. */
export const CallbackRefusal = {
  BAD_BODY: "BAD_BODY",
  BAD_SIGNATURE: "BAD_SIGNATURE",
  STALE_TIMESTAMP: "STALE_TIMESTAMP",
  /** Signed, but a tracked event with invalid fields (its nonce is used up all the same). */
  BAD_EVENT: "BAD_EVENT",
} as const;
/** One of {@link CallbackRefusal}. */
export type CallbackRefusal = (typeof CallbackRefusal)[keyof typeof CallbackRefusal];

/** Parses a callback body: JSON (possibly URL-encoded as a whole) or `application/x-www-form-urlencoded`. */
export function parseCallbackBody(body: string, contentType: string | undefined): Record<string, unknown> | undefined {
  const text = body.trim();
  const tryJson = (s: string) => {
    try {
      const v: unknown = JSON.parse(s);
      return isRecord(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };
  if (text.startsWith("{")) return tryJson(text);
  if (/^%7b/i.test(text)) {
    try {
      return tryJson(decodeURIComponent(text));
    } catch {
      return undefined;
    }
  }
  if (contentType === undefined || contentType.includes("application/x-www-form-urlencoded") || text.includes("=")) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    return Object.keys(fields).length === 0 ? undefined : fields;
  }
  return undefined;
}

function valid(assert: (v: unknown) => string, value: unknown): value is string {
  try {
    assert(value);
    return true;
  } catch {
    return false;
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : undefined);

function ms(value: unknown, fallback: number): number {
  const s = str(value);
  const n = s === undefined ? NaN : Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/**
 * Verifies a parsed callback: `signature` must be sha1 of the sorted `[callbackSecret, timestamp, nonce]`,
 * and `timestamp` within 10 minutes of `nowMs`. Returns the refusal reason, or the event (`invalid`
 * for a tracked event with bad fields: the caller uses its nonce up, then refuses it).
 */
export function verifyCallback(fields: Record<string, unknown>, callbackSecret: string, nowMs: number): VerifiedCallback | CallbackRefusal {
  const signature = str(fields["signature"]);
  const timestamp = str(fields["timestamp"]);
  const nonce = str(fields["nonce"]);
  if (signature === undefined || timestamp === undefined || nonce === undefined) return CallbackRefusal.BAD_SIGNATURE;
  if (!verifyCallbackSignature(callbackSecret, timestamp, nonce, signature)) return CallbackRefusal.BAD_SIGNATURE;
  const seconds = Number(timestamp);
  if (!Number.isSafeInteger(seconds) || Math.abs(seconds * 1000 - nowMs) > CALLBACK_MAX_SKEW_MS) return CallbackRefusal.STALE_TIMESTAMP;
  const replayKey = `${timestamp}:${nonce}`;
  const name = (str(fields["event"]) ?? "").slice(0, 64);
  const roomId = str(fields["room_id"]);
  if (name === "room_login") {
    const userId = str(fields["user_account"]);
    if (!valid(assertRoomId, roomId) || !isUserId(userId)) return { replayKey, event: { kind: "invalid", name } };
    return { replayKey, event: { kind: "login", roomId, userId } };
  }
  if (name !== "stream_create" && name !== "stream_close") return { replayKey, event: { kind: "ignored", name } };
  const userId = str(fields["user_id"]);
  const streamId = str(fields["stream_id"]);
  if (!valid(assertRoomId, roomId) || !isUserId(userId) || !valid(assertStreamId, streamId)) return { replayKey, event: { kind: "invalid", name } };
  const atMs = name === "stream_create" ? ms(fields["create_time_ms"], seconds * 1000) : ms(fields["destroy_timemillis"], seconds * 1000);
  return { replayKey, event: { kind: name === "stream_create" ? "create" : "close", roomId, userId, streamId, atMs } };
}
