import type { UnknownStreamPolicy } from "../config/config.js";
import { decidePrivilege, hasAccess } from "../rooms/policy.js";
import type { RoomState } from "../rooms/room.js";
import { planRules, type HeldToken, type UserRule } from "./rule-plan.js";

/** A stream ZEGO reported as publishing (from callbacks). */
export interface LiveStream {
  readonly streamId: string;
  readonly userId: string;
  /** When it started (unix ms, ZEGO's time). */
  readonly sinceMs: number;
}

/** A stream ID this service wants banned, with the user it was taken from when known. */
export interface BannedStream {
  readonly streamId: string;
  readonly userId: string | null;
}

/** Why a user is kicked out of a room. */
export type KickReason = "removed" | "no_access" | "unknown_stream" | "login";

/** A user to kick out of the room. */
export interface Kick {
  readonly userId: string;
  readonly reason: KickReason;
}

/** What the enforcement side knows about a room: the state it last enforced, and ZEGO's live streams. */
export interface EnforcementRecord {
  /** Changes on every write (compare-and-set). */
  readonly revision: number;
  /** Room version last enforced; -1 before the first. */
  readonly version: number;
  /** Stream IDs named in some allow-list at `version`, sorted. */
  readonly allowed: readonly string[];
  /** Users allowed any stream ID (`streamIds: null`) at `version`, sorted. */
  readonly anyUsers: readonly string[];
  /** Stream IDs that should be banned. */
  readonly banned: readonly BannedStream[];
  readonly live: readonly LiveStream[];
  /** User ban rules wanted in this room (privileges never 0). */
  readonly rules: readonly UserRule[];
  /** Of the room's allowed, banned and live stream IDs, those another room's allow-list names: that room owns them. */
  readonly foreign: readonly string[];
}

/** The record of a room enforcement has never seen. */
export const EMPTY_RECORD: EnforcementRecord = Object.freeze({ revision: 0, version: -1, allowed: [], anyUsers: [], banned: [], live: [], rules: [], foreign: [] });

/**
 * The IDs named by another room: `count` is how many rooms' allow-lists name an ID, this room's
 * (`allowed`) included. Bans are AppID-wide, so a room never bans an ID another room allows.
 */
export function foreignOf(ids: readonly string[], count: (id: string, index: number) => number, allowed: readonly string[]): string[] {
  const own = new Set(allowed);
  return ids.filter((id, i) => count(id, i) - (own.has(id) ? 1 : 0) > 0).sort();
}

/** One atomic write: the new enforced state and the work it creates. */
export interface EnforcementWrite {
  readonly version: number;
  readonly allowed: readonly string[];
  readonly anyUsers: readonly string[];
  /** Streams to ban (ForbidRTCStreams). */
  readonly ban: readonly BannedStream[];
  /** Banned streams to open again (ResumeRTCStreams). */
  readonly unban: readonly string[];
  /** Live streams to stop that stay allowed to another user: forbid, then resume. */
  readonly bounce: readonly string[];
  /** Live entries to forget: their publisher is being stopped. */
  readonly dropLive: readonly string[];
  readonly kick: readonly Kick[];
  /** User ban rules to set, extend or (privileges 0) delete. */
  readonly rules: readonly UserRule[];
}

/** Inputs of {@link planEnforcement}. */
export interface PlanInput {
  /** The room's committed state; its version is at least `record.version`. */
  readonly room: RoomState;
  readonly record: EnforcementRecord;
  readonly defaultCanPublish: boolean;
  readonly unknownStream: UnknownStreamPolicy;
  /** Users the change removed from the member list (kicked when they lost access). */
  readonly removedUsers?: readonly string[];
  /** Rules: the users to consider (see `ruleCandidates`), their unexpired last tokens, and the time. */
  readonly ruleUsers?: { readonly candidates: readonly string[]; readonly held: ReadonlyMap<string, HeldToken>; readonly nowMs: number };
}

/** A plan: the write, and what to report. */
export interface EnforcementPlan {
  readonly write: EnforcementWrite;
  /** Streams that must be open again before the affected users get their new tokens. */
  readonly reopen: readonly string[];
  /** Users whose rule loses a privilege: lifted before they get their new tokens. */
  readonly lift: readonly string[];
  /** Users who lost an "any stream" right while no live stream of theirs is known. */
  readonly unknownStreamUsers: readonly string[];
  /** True when the write changes nothing but the version. */
  readonly empty: boolean;
}

/**
 * Decides what to forbid, resume and kick so that ZEGO matches the room (pure): a live stream its
 * publisher may no longer publish is forbidden; a stream ID that left every allow-list is banned in
 * advance (old tokens stay valid until they expire); a banned stream allowed again is resumed; a live
 * publisher or a removed member without access is kicked. An ID another room's allow-list names is
 * never kept banned here (bans are AppID-wide): its live publisher here is bounced instead.
 */
export function planEnforcement(input: PlanInput): EnforcementPlan {
  const { room, record } = input;
  const privilegeOf = (userId: string) => decidePrivilege(room, userId, input.defaultCanPublish);
  const mayPublish = (userId: string, streamId: string) => {
    const p = privilegeOf(userId);
    return p.canLoginRoom && p.canPublish && (p.streamIds === null || p.streamIds.includes(streamId));
  };
  const named = new Set<string>();
  const anyUsers = new Set<string>();
  for (const p of room.publishers ?? []) {
    if (!hasAccess(room, p.userId)) continue;
    if (p.streamIds === null) anyUsers.add(p.userId);
    else for (const s of p.streamIds) named.add(s);
  }
  const banned = new Map(record.banned.map((b) => [b.streamId, b.userId]));
  const foreign = new Set(record.foreign);
  const ban = new Map<string, BannedStream>();
  const bounce: string[] = [];
  const dropLive: string[] = [];
  const kicks = new Map<string, Kick>();
  const kick = (userId: string, reason: KickReason) => {
    if (!kicks.has(userId)) kicks.set(userId, { userId, reason });
  };

  for (const live of record.live) {
    if (!hasAccess(room, live.userId)) kick(live.userId, "no_access");
    if (mayPublish(live.userId, live.streamId)) continue;
    dropLive.push(live.streamId);
    if (named.has(live.streamId) || foreign.has(live.streamId)) bounce.push(live.streamId);
    else if (!banned.has(live.streamId)) ban.set(live.streamId, { streamId: live.streamId, userId: live.userId });
  }
  const newVersion = room.version > record.version;
  if (newVersion) {
    for (const s of record.allowed) if (!named.has(s) && !foreign.has(s) && !banned.has(s) && !ban.has(s)) ban.set(s, { streamId: s, userId: null });
  }
  const unban: string[] = [];
  for (const [s, owner] of banned) if (named.has(s) || foreign.has(s) || (owner !== null && mayPublish(owner, s))) unban.push(s);

  const unknownStreamUsers: string[] = [];
  if (newVersion) {
    const liveUsers = new Set(record.live.map((l) => l.userId));
    for (const u of record.anyUsers) {
      if (anyUsers.has(u) || privilegeOf(u).canPublish || liveUsers.has(u)) continue;
      unknownStreamUsers.push(u);
      if (input.unknownStream === "kick") kick(u, "unknown_stream");
    }
  }
  for (const u of input.removedUsers ?? []) if (!hasAccess(room, u)) kick(u, "removed");

  const rules = input.ruleUsers === undefined ? [] : planRules({ room, record, defaultCanPublish: input.defaultCanPublish, ...input.ruleUsers });
  const before = new Map(record.rules.map((r) => [r.userId, r.privileges]));
  const lift = rules.filter((r) => ((before.get(r.userId) ?? 0) & ~r.privileges) !== 0).map((r) => r.userId);

  const write: EnforcementWrite = {
    version: Math.max(room.version, record.version),
    allowed: newVersion ? [...named].sort() : record.allowed,
    anyUsers: newVersion ? [...anyUsers].sort() : record.anyUsers,
    ban: [...ban.values()],
    unban,
    bounce,
    dropLive,
    kick: [...kicks.values()],
    rules,
  };
  const empty = write.ban.length + unban.length + bounce.length + dropLive.length + write.kick.length + rules.length === 0;
  // A newly named ID another room banned is resumed by the commit itself (see the stores): wait for it too.
  const newlyNamed = newVersion ? [...named].filter((x) => !record.allowed.includes(x)) : [];
  return { write, reopen: [...new Set([...unban, ...bounce, ...newlyNamed])], lift, unknownStreamUsers, empty };
}
