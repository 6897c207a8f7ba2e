/** How the worker treats a ZEGO answer. */
export const ZegoOutcome = {
  /** Done (Code 0, or a kick whose user or room is already gone). */
  OK: "ok",
  /** Called too fast: retry after a back-off. */
  RATE_LIMITED: "rate_limited",
  /** Signature, secret or project configuration refused: pause, log, count; never retried blindly. */
  AUTH_FAILED: "auth_failed",
  /** The request itself is invalid and will never succeed (bad stream ID, list too long). */
  REJECTED: "rejected",
  /** A failure that may pass (ZEGO internal error, network error, timeout): retry after a back-off. */
  RETRY: "retry",
} as const;
/** One of {@link ZegoOutcome}. */
export type ZegoOutcome = (typeof ZegoOutcome)[keyof typeof ZegoOutcome];

// Room-signalling APIs answer 206/207 and media-service APIs 1010/5007/30002 when called too fast.
const RATE_LIMITED = new Set([206, 207, 1010, 5007, 30002]);
// Gateway signature codes, media-service authentication codes, and project settings (secret not found,
// wrong IsTest, service not enabled, no permission): repeating the call cannot help until someone acts.
const AUTH_FAILED = new Set([100000004, 100000005, 100000010, 100000016, 100000017, 3, 5003, 40005, 9, 3003, 30004, 30005]);
const REJECTED = new Set([2, 30006, 30009, 50011, 100000002, 100000003, 100000006, 100000007, 100000008, 100000009, 100000013, 100000014]);
// KickoutUser of a user or room that is no longer there has nothing left to stop.
const KICK_GONE = new Set([104, 105, 5024, 50001]);
// DelForbidUserRule of a rule that does not exist (expired and purged, or never landed): nothing to delete.
const RULE_GONE = 50124;

/** Classifies a ZEGO `Code` for an action. */
export function classifyZegoCode(action: string, code: number): ZegoOutcome {
  if (code === 0) return ZegoOutcome.OK;
  if (RATE_LIMITED.has(code)) return ZegoOutcome.RATE_LIMITED;
  if (AUTH_FAILED.has(code)) return ZegoOutcome.AUTH_FAILED;
  if (action === "KickoutUser" && KICK_GONE.has(code)) return ZegoOutcome.OK;
  if (action === "DelForbidUserRule" && code === RULE_GONE) return ZegoOutcome.OK;
  if (REJECTED.has(code)) return ZegoOutcome.REJECTED;
  return ZegoOutcome.RETRY;
}
