import { randomBytes as cryptoRandomBytes } from "node:crypto";
import type { Clock } from "../clock/clock.js";
import { isRecord } from "../util/json.js";
import { classifyZegoCode, ZegoOutcome } from "./codes.js";
import { signServerApiRequest } from "./signature.js";

/** The server API actions this service calls. */
export const ZegoAction = {
  FORBID: "ForbidRTCStreams",
  RESUME: "ResumeRTCStreams",
  KICK: "KickoutUser",
  SET_USER_RULE: "SetForbidUserRule",
  DEL_USER_RULE: "DelForbidUserRule",
  DESCRIBE_USER_RULES: "DescribeForbidUserRules",
} as const;
/** One of {@link ZegoAction}. */
export type ZegoAction = (typeof ZegoAction)[keyof typeof ZegoAction];

/** Most stream IDs one ForbidRTCStreams / ResumeRTCStreams call takes. */
export const MAX_STREAMS_PER_CALL = 20;
/** Most user IDs one KickoutUser call takes. */
export const MAX_USERS_PER_KICK = 5;

/** A ZEGO answer (or the failure to get one). Never holds the signature or the secret. */
export interface ZegoCallResult {
  readonly outcome: ZegoOutcome;
  /** ZEGO's `Code`; `null` when no valid answer arrived (network error, timeout, not JSON). */
  readonly code: number | null;
  readonly requestId: string | null;
  /** HTTP status, or `null` for a network error. */
  readonly status: number | null;
  /** Error name for a failure without a ZEGO answer. */
  readonly error?: string;
}

/** A (room, user) ban rule ZEGO lists (`RuleType` 4). */
export interface DescribedUserRule {
  readonly roomId: string;
  readonly userId: string;
  /** `DisabledPrivilege` bits: 1 login, 2 publish. */
  readonly privileges: number;
  /** When it expires, unix ms. */
  readonly untilMs: number;
}

/** Options of {@link createZegoServerApi}. */
export interface ZegoServerApiOptions {
  /** Base URL, e.g. `https://rtc-api.zego.im`. */
  readonly apiUrl: string;
  readonly appId: number;
  readonly serverSecret: string;
  /** Sends `IsTest=true` (projects created on or before 2021-11-16). */
  readonly isTest: boolean;
  readonly clock: Clock;
  /** Random bytes for SignatureNonce; default the CSPRNG. */
  readonly randomBytes?: (size: number) => Buffer;
  /** Per-call timeout; default 5000 ms. */
  readonly timeoutMs?: number;
}

/** Signed calls to ZEGO's server API (GET, every parameter in the query). */
export interface ZegoServerApi {
  forbidStreams(streamIds: readonly string[], sequence: number): Promise<ZegoCallResult>;
  resumeStreams(streamIds: readonly string[], sequence: number): Promise<ZegoCallResult>;
  kickUsers(roomId: string, userIds: readonly string[], customReason?: string): Promise<ZegoCallResult>;
  /** A ban rule for one user in one room (`RuleType` 4): `DisabledPrivilege[]` 1 login, 2 publish; 1-86400 s. */
  setUserRule(roomId: string, userId: string, privileges: readonly (1 | 2)[], effectiveSeconds: number): Promise<ZegoCallResult>;
  /** Deletes the (room, user) ban rule (`RuleType` 4); one that does not exist counts as done. */
  deleteUserRule(roomId: string, userId: string): Promise<ZegoCallResult>;
  /** The (room, user) ban rules ZEGO holds, expired ones included (`RuleType` 4). */
  describeUserRules(): Promise<ZegoCallResult & { readonly rules: readonly DescribedUserRule[] }>;
}

function describedRules(data: unknown): DescribedUserRule[] {
  const list = isRecord(data) ? data["RuleList"] : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((r: unknown): DescribedUserRule[] => {
    if (!isRecord(r) || r["RuleType"] !== 4) return [];
    const { RoomId: roomId, UserId: userId, DisabledPrivilegeList: privileges, ExpireTime: expire } = r;
    if (typeof roomId !== "string" || typeof userId !== "string" || !Array.isArray(privileges) || typeof expire !== "number") return [];
    const bits = privileges.reduce((acc: number, p: unknown) => acc | (p === 1 ? 1 : p === 2 ? 2 : 0), 0);
    return bits === 0 ? [] : [{ roomId, userId, privileges: bits, untilMs: expire * 1000 }];
  });
}

const MAX_REASON_BYTES = 256;
const MAX_RULE_SECONDS = 86_400;

/** Creates a {@link ZegoServerApi}. */
export function createZegoServerApi(options: ZegoServerApiOptions): ZegoServerApi {
  const random = options.randomBytes ?? cryptoRandomBytes;
  const timeoutMs = options.timeoutMs ?? 5000;

  const call = async (action: ZegoAction, params: ReadonlyArray<readonly [string, string]>): Promise<ZegoCallResult & { data?: unknown }> => {
    const nonce = random(8).toString("hex");
    const timestamp = Math.floor(options.clock.now() / 1000);
    const query = new URLSearchParams([
      ["Action", action],
      ["AppId", String(options.appId)],
      ["SignatureNonce", nonce],
      ["Timestamp", String(timestamp)],
      ["SignatureVersion", "2.0"],
      ["Signature", signServerApiRequest(options.appId, nonce, options.serverSecret, timestamp)],
      ...(options.isTest ? [["IsTest", "true"] as [string, string]] : []),
      ...params.map(([k, v]) => [k, v] as [string, string]),
    ]);
    let status: number | null = null;
    try {
      const res = await fetch(`${options.apiUrl}/?${query.toString()}`, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      const body: unknown = await res.json().catch(() => undefined);
      const code = isRecord(body) && typeof body["Code"] === "number" ? body["Code"] : null;
      const rid = isRecord(body) ? body["RequestId"] : undefined;
      const requestId = typeof rid === "string" || typeof rid === "number" ? String(rid) : null;
      if (code === null) return { outcome: ZegoOutcome.RETRY, code: null, requestId, status, error: "NoZegoAnswer" };
      return { outcome: classifyZegoCode(action, code), code, requestId, status, ...(isRecord(body) && body["Data"] !== undefined ? { data: body["Data"] } : {}) };
    } catch (e) {
      return { outcome: ZegoOutcome.RETRY, code: null, requestId: null, status, error: e instanceof Error ? e.name : typeof e };
    }
  };

  const streams = (ids: readonly string[], sequence: number): Array<readonly [string, string]> => {
    if (ids.length === 0 || ids.length > MAX_STREAMS_PER_CALL) throw new RangeError(`1 to ${MAX_STREAMS_PER_CALL} stream IDs per call`);
    return [...ids.map((id) => ["StreamId[]", id] as const), ["Sequence", String(sequence)] as const];
  };

  return {
    forbidStreams: (ids, sequence) => call(ZegoAction.FORBID, streams(ids, sequence)),
    resumeStreams: (ids, sequence) => call(ZegoAction.RESUME, streams(ids, sequence)),
    kickUsers(roomId, userIds, customReason) {
      if (userIds.length === 0 || userIds.length > MAX_USERS_PER_KICK) throw new RangeError(`1 to ${MAX_USERS_PER_KICK} user IDs per kick`);
      const params: Array<readonly [string, string]> = [["RoomId", roomId], ...userIds.map((u) => ["UserId[]", u] as const)];
      if (customReason !== undefined && Buffer.byteLength(customReason) <= MAX_REASON_BYTES) params.push(["CustomReason", customReason]);
      return call(ZegoAction.KICK, params);
    },
    setUserRule(roomId, userId, privileges, effectiveSeconds) {
      if (privileges.length === 0 || !Number.isInteger(effectiveSeconds) || effectiveSeconds < 1 || effectiveSeconds > MAX_RULE_SECONDS) throw new RangeError(`1 or 2 privileges, 1 to ${MAX_RULE_SECONDS} s`);
      return call(ZegoAction.SET_USER_RULE, [
        ["RuleType", "4"],
        ["RoomId", roomId],
        ["UserId", userId],
        ...privileges.map((p) => ["DisabledPrivilege[]", String(p)] as const),
        ["EffectiveTime", String(effectiveSeconds)],
      ]);
    },
    async describeUserRules() {
      const { data, ...result } = await call(ZegoAction.DESCRIBE_USER_RULES, [["RuleType", "4"]]);
      return { ...result, rules: result.outcome === ZegoOutcome.OK ? describedRules(data) : [] };
    },
    deleteUserRule: (roomId, userId) =>
      call(ZegoAction.DEL_USER_RULE, [
        ["RuleType", "4"],
        ["RoomId", roomId],
        ["UserId", userId],
      ]),
  };
}
