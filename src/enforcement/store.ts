import type { StreamCallbackEvent } from "../zego/callback.js";
import type { EnforcementRecord, EnforcementWrite, Kick } from "./plan.js";
import type { UserRule } from "./rule-plan.js";

/** A user ban rule with its room. */
export type RoomUserRule = UserRule & { readonly roomId: string };

/** A rate-limit class of ZEGO's: media service (forbid/resume), room signalling (kick), user ban rules (set/delete). */
export type Lane = "media" | "room" | "rule";

/** A ZEGO call's worth of work. */
export type WorkAction = "forbid" | "resume" | "kick" | "set_rule" | "del_rule";

/** One stream (media lane) or one user to kick (room lane). */
export interface WorkItem {
  /** The item's key in the store. */
  readonly key: string;
  /** Stream ID (media) or user ID (room). */
  readonly id: string;
  readonly roomId: string;
  /** When the work was first needed (unix ms), for latency. */
  readonly enqueuedAtMs: number;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** A rule to set: its privilege bits and until when (unix ms). */
  readonly rule?: { readonly privileges: number; readonly untilMs: number };
}

/** Items leased to one worker for one call. */
export interface ClaimedWork {
  readonly lane: Lane;
  readonly action: WorkAction;
  /** The lease; a settle with another token is ignored (the lease expired and someone else took over). */
  readonly token: string;
  /** ZEGO `Sequence`: strictly increasing across all calls of all instances. */
  readonly sequence: number;
  /** The room of a kick (one room per KickoutUser call). */
  readonly roomId: string | null;
  readonly items: readonly WorkItem[];
}

/** Nothing to claim now; `nextDueMs` is when the earliest waiting item is due, if any. */
export interface NothingDue {
  readonly nextDueMs: number | null;
}

/**
 * What happened to claimed work: done; retry at `dueMs`; split (a batch ZEGO rejected: each item is
 * claimed alone from now on, at once); drop (rejected alone: it will never succeed).
 */
export type SettleOutcome = { readonly kind: "done" } | { readonly kind: "retry"; readonly dueMs: number } | { readonly kind: "split" } | { readonly kind: "drop" };

/** A room's enforcement view for `room(roomId)`. */
export interface EnforcementView {
  readonly liveStreams: readonly { readonly streamId: string; readonly userId: string; readonly sinceMs: number }[];
  /** Bans ZEGO confirmed and the room still wants. */
  readonly bannedStreamIds: readonly string[];
}

/**
 * Enforcement state and its durable work queue: per room the state last enforced, live streams (from
 * ZEGO's callbacks) and banned stream IDs; per stream the wanted and the applied ban; per user a pending
 * kick. Work is leased, so an instance that dies mid-call loses nothing: its lease expires and any
 * instance claims the items again. Implementations: memory (one instance) and Redis (many).
 */
export interface EnforcementStore {
  /** Marks a room as about to change; returns a ticket that `commit` clears (a sweep heals crashes in between). */
  intend(roomId: string, nowMs: number): Promise<number>;
  /** Rooms marked before `beforeMs` and not yet enforced. */
  staleIntents(beforeMs: number, max: number): Promise<Array<{ readonly roomId: string; readonly ticket: number }>>;
  read(roomId: string): Promise<EnforcementRecord>;
  /**
   * Writes a plan if the record's revision is still `expectedRevision` (else returns false and writes
   * nothing), creating the work; clears the intent `ticket` if it is still the room's latest.
   */
  commit(roomId: string, expectedRevision: number, write: EnforcementWrite, ticket: number | null, nowMs: number): Promise<boolean>;
  /** Records a stream callback unless `replayKey` was seen in the last 20 minutes (one atomic step). */
  recordStream(event: StreamCallbackEvent, replayKey: string, nowMs: number): Promise<"recorded" | "replayed">;
  /** Uses up a callback's `replayKey` (any other event): "replayed" when it was seen in the last 20 minutes. */
  useNonce(replayKey: string, nowMs: number): Promise<"fresh" | "replayed">;
  /** Queues kicks of users out of a room (unless one is pending), outside any room change. */
  enqueueKicks(roomId: string, kicks: readonly Kick[], nowMs: number): Promise<void>;
  /**
   * Leases up to `max` due items that need the same action (kicks: of one room; rules: one); an item
   * marked by a split alone. A rule is not set while `ruleCap` rules are in force (in flight included):
   * it waits, in the order needed, until one lapses or is deleted.
   */
  claim(lane: Lane, max: number, nowMs: number, leaseMs: number, token: string, ruleCap?: number): Promise<ClaimedWork | NothingDue>;
  /** Ends a lease: done (the ban state is applied), retry at `dueMs`, or drop (will never succeed). */
  settle(work: ClaimedWork, outcome: SettleOutcome, nowMs: number): Promise<void>;
  /** The given streams whose ban state still has to reach ZEGO. */
  unsettled(streamIds: readonly string[]): Promise<string[]>;
  /** The given users of a room whose rule still holds a privilege that was lifted. */
  unliftedRules(roomId: string, userIds: readonly string[], nowMs: number): Promise<string[]>;
  /** User ban rules ZEGO may hold now (set, or a set in flight, and not lapsed or deleted). */
  rulesInForce(nowMs: number): Promise<number>;
  /**
   * Takes over rules ZEGO lists that this store does not know (a restart lost them): counted in force
   * and wanted as they are, so they are lifted when their user is allowed again. Returns how many.
   */
  adoptRules(rules: readonly RoomUserRule[], nowMs: number): Promise<number>;
  /**
   * Takes one call slot of the lane's pace (shared by all instances): 0, or the ms to wait before asking
   * again. See {@link paceOf}: calls are spread evenly, never more than `limitPerSecond` in any second.
   */
  acquire(lane: Lane, limitPerSecond: number, nowMs: number): Promise<number>;
  /** Items waiting or in flight. */
  backlog(): Promise<number>;
  view(roomId: string): Promise<EnforcementView>;
  stop(): Promise<void>;
}

/** Tombstones of closed streams are kept this long, to ignore a retried `stream_create` arriving late. */
export const CLOSED_TTL_MS = 10 * 60 * 1000;
/** Callback replay keys are remembered this long (twice ZEGO's 10-minute skew window). */
export const REPLAY_TTL_MS = 20 * 60 * 1000;
/**
 * Pacing as a generic cell rate algorithm: one call per `intervalMs`, with a burst of `burst` calls
 * after a quiet spell. Any one-second window then holds at most `burst + floor(999 / intervalMs)` calls,
 * which the 5% margin keeps at or below ZEGO's limit even with a few ms of clock skew between instances.
 * Spreading calls (instead of spending a second's quota at once) keeps each call's batch small and the
 * wait short under load.
 */
export function paceOf(limitPerSecond: number): { intervalMs: number; burst: number } {
  if (limitPerSecond <= 1) return { intervalMs: 1050, burst: 1 };
  return { intervalMs: 1050 / (limitPerSecond - 1), burst: 2 };
}
