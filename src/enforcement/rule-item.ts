import { parseJsonObject } from "../util/json.js";

/** ZEGO `DisabledPrivilege` bits of a user ban rule: 1 login, 2 publish (both: 3). */
export const RulePrivilege = { LOGIN: 1, PUBLISH: 2 } as const;

/** ZEGO's limits for rules of `RuleType` 4 (room + user). */
export const RULE_LIMITS = Object.freeze({
  /** Rules in force at once per AppID. */
  cap: 200,
  /** Longest `EffectiveTime`, seconds. */
  maxSeconds: 86_400,
  /** How often a rule waiting for a free slot looks again (ms): a delete may have freed one. */
  recheckMs: 1000,
});

/**
 * A (room, user) ban rule's state. `p`/`w`: wanted privileges (0 = no rule) and until when (unix ms);
 * `ap`/`au`: what ZEGO may hold (set when a set call is sent, so a call in flight counts); `k`: 1 when
 * ZEGO confirmed `ap`/`au`. The Redis store's Lua mirrors these rules.
 */
export interface RuleItem {
  r: string;
  u: string;
  p: number;
  w: number;
  ap: number;
  au: number;
  k: 0 | 1;
  at: number;
  q: number;
  c: string;
}

/**
 * The call a rule needs next at `nowMs`, or null when ZEGO already matches (or the rule lapsed). A rule
 * that may hold a privilege no longer wanted is deleted first (then set again if some remain): whether
 * a set replaces an earlier rule's privileges is not documented.
 */
export function ruleAction(item: RuleItem, nowMs: number): "set" | "del" | null {
  if (ruleLifting(item, nowMs)) return "del";
  if (item.p !== 0 && item.w > nowMs) return item.ap !== item.p || item.au < item.w || item.k === 0 ? "set" : null;
  return null;
}

/** True while ZEGO may hold a privilege of this rule that is no longer wanted (a lift not yet done). */
export function ruleLifting(item: RuleItem, nowMs: number): boolean {
  return item.au > nowMs && (item.ap & ~item.p) !== 0;
}

/** True when a rule in force at ZEGO is counted against the cap at `nowMs`. */
export function ruleInForce(item: RuleItem, nowMs: number): boolean {
  return item.ap !== 0 && item.au > nowMs;
}

/** True when the item holds nothing worth keeping. */
export function ruleForgettable(item: RuleItem, nowMs: number): boolean {
  return ruleAction(item, nowMs) === null && !ruleInForce(item, nowMs) && (item.p === 0 || item.w <= nowMs);
}

/** A fresh item for a (room, user). */
export function freshRule(roomId: string, userId: string, nowMs: number): RuleItem {
  return { r: roomId, u: userId, p: 0, w: 0, ap: 0, au: 0, k: 1, at: 0, q: nowMs, c: "" };
}

/** `EffectiveTime` for a rule wanted until `untilMs`: whole seconds, 1 to 86400. */
export function effectiveSeconds(untilMs: number, nowMs: number): number {
  return Math.min(RULE_LIMITS.maxSeconds, Math.max(1, Math.ceil((untilMs - nowMs) / 1000)));
}

/** The `DisabledPrivilege[]` values of a privilege bit set. */
export function privilegeList(bits: number): Array<1 | 2> {
  return [...(bits & RulePrivilege.LOGIN ? [1 as const] : []), ...(bits & RulePrivilege.PUBLISH ? [2 as const] : [])];
}

/** Key of a rule item. */
export const ruleKey = (roomId: string, userId: string) => `u:${roomId}\n${userId}`;

/** Parses a stored rule item; undefined when invalid. */
export function parseRuleItem(json: string | null | undefined): RuleItem | undefined {
  const v = json == null ? undefined : parseJsonObject(json);
  if (v === undefined) return undefined;
  const { r, u, p, w, ap, au, k, at, q, c } = v;
  if (typeof r !== "string" || typeof u !== "string" || typeof c !== "string" || (k !== 0 && k !== 1)) return undefined;
  if (![p, w, ap, au, at, q].every((n) => typeof n === "number")) return undefined;
  return { r, u, p: p as number, w: w as number, ap: ap as number, au: au as number, k, at: at as number, q: q as number, c };
}
