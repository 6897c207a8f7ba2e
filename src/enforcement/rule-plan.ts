import { decidePrivilege, hasAccess } from "../rooms/policy.js";
import type { RoomState } from "../rooms/room.js";
import { RULE_LIMITS, RulePrivilege } from "./rule-item.js";

/** A (room, user) ban rule this service wants: privileges (bits, 0 = lift) until `untilMs`. */
export interface UserRule {
  readonly userId: string;
  readonly privileges: number;
  readonly untilMs: number;
}

/** The last token issued to a user for the room, while it can still be used. */
export interface HeldToken {
  readonly expiresAtMs: number;
  /** It allowed publishing any stream ID (`stream_id_list` null). */
  readonly anyStream: boolean;
}

/** What the rule planner reads of the enforcement record. */
export interface RuleRecord {
  readonly live: readonly { readonly userId: string }[];
  readonly anyUsers: readonly string[];
  readonly rules: readonly UserRule[];
}

/**
 * Users whose rules may change with this room state: the removed (the room service adds every token
 * holder a switch to members-only leaves outside), the room's publishers, live publishers, former "any
 * stream" publishers, holders of a rule.
 */
export function ruleCandidates(room: RoomState, record: RuleRecord, removedUsers: readonly string[]): string[] {
  const publishers = (room.publishers ?? []).map((p) => p.userId);
  return [...new Set([...removedUsers, ...publishers, ...record.live.map((l) => l.userId), ...record.anyUsers, ...record.rules.map((r) => r.userId)])].sort();
}

/** Inputs of {@link planRules}. */
export interface RulePlanInput {
  readonly room: RoomState;
  readonly record: RuleRecord;
  readonly defaultCanPublish: boolean;
  readonly candidates: readonly string[];
  /** The candidates' unexpired last tokens for this room. */
  readonly held: ReadonlyMap<string, HeldToken>;
  readonly nowMs: number;
}

/**
 * Decides the room's user ban rules (pure): a user without access who holds an unexpired token gets a
 * login rule; a user who may not publish and holds an unexpired token that allowed any stream gets a
 * publish rule; each lasts as long as that token can be used (at most ZEGO's 86400 s) and is never
 * shortened while needed; a user allowed again has the bit lifted. Returns the rules that change
 * (privileges 0: delete).
 */
export function planRules(input: RulePlanInput): UserRule[] {
  const { room, nowMs } = input;
  const existing = new Map(input.record.rules.map((r) => [r.userId, r]));
  const out: UserRule[] = [];
  for (const userId of input.candidates) {
    const held = input.held.get(userId);
    const holds = held !== undefined && held.expiresAtMs > nowMs;
    const had = existing.get(userId);
    const hadBits = had !== undefined && had.untilMs > nowMs ? had.privileges : 0;
    const access = hasAccess(room, userId);
    const canPublish = access && decidePrivilege(room, userId, input.defaultCanPublish).canPublish;
    let bits = 0;
    if (!access && (holds || hadBits & RulePrivilege.LOGIN)) bits |= RulePrivilege.LOGIN;
    if (!canPublish && ((holds && held.anyStream) || hadBits & RulePrivilege.PUBLISH)) bits |= RulePrivilege.PUBLISH;
    if (bits === 0) {
      if (had !== undefined) out.push({ userId, privileges: 0, untilMs: 0 });
      continue;
    }
    const until = Math.min(nowMs + RULE_LIMITS.maxSeconds * 1000, Math.max(holds ? held.expiresAtMs : 0, hadBits === 0 ? 0 : (had?.untilMs ?? 0)));
    if (hadBits !== bits || until > (had?.untilMs ?? 0)) out.push({ userId, privileges: bits, untilMs: until });
  }
  return out;
}
