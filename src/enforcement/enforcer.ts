import type { Clock, Timer } from "../clock/clock.js";
import type { UnknownStreamPolicy } from "../config/config.js";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { hasAccess } from "../rooms/policy.js";
import type { RoomState } from "../rooms/room.js";
import { holdersOutside } from "../rooms/holders-outside.js";
import type { RoomStore } from "../rooms/store.js";
import type { VerifiedCallback } from "../zego/callback.js";
import { ZegoOutcome } from "../zego/codes.js";
import { ZegoAction, type ZegoServerApi } from "../zego/server-api.js";
import { planEnforcement, type EnforcementPlan } from "./plan.js";
import { ruleCandidates, type HeldToken } from "./rule-plan.js";
import type { EnforcementStore, EnforcementView } from "./store.js";
import type { EnforcementLimits, EnforcementTuning } from "./tuning.js";
import { createEnforcementWorker, type EnforcementMetrics, type EnforcementWorker } from "./worker.js";

/** Metrics the enforcer reports, beyond the worker's. */
export interface EnforcerMetrics extends EnforcementMetrics {
  enforcementUnknownStream(policy: UnknownStreamPolicy): void;
  /** A user ZEGO reported logging into a room they may not be in, kicked. */
  enforcementLoginKick(): void;
}

/** Options of {@link createEnforcer}. */
export interface EnforcerOptions {
  readonly store: EnforcementStore;
  /**
   * Room state, for changes the sweep and callbacks enforce; issued-token records, for how long a rule must
   * last; token holders, for whom a healed change shuts out.
   */
  readonly rooms: Pick<RoomStore, "getRoom" | "getIssued" | "tokenHolders">;
  /** ZEGO's server API; without it live streams are tracked (callbacks) but nothing is enforced. */
  readonly api: ZegoServerApi | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: EnforcerMetrics;
  readonly defaultCanPublish: boolean;
  readonly unknownStream: UnknownStreamPolicy;
  /** Plans user ban rules (ZEGO_USER_RULES). */
  readonly userRules: boolean;
  readonly limits: EnforcementLimits;
  readonly tuning: EnforcementTuning;
  readonly random: () => number;
}

/**
 * Keeps ZEGO's servers in line with the rooms: after each committed change (and each stream callback)
 * it plans forbids, resumes and kicks and stores them with the enforced state in one atomic write; a
 * worker on every instance carries them out. A change is marked before it is committed, so a crash
 * between the commit and the write is healed by the sweep.
 */
export interface Enforcer {
  /** True when revocations are sent to ZEGO (ZEGO_ENFORCE=on). */
  readonly enforcing: boolean;
  /** Marks a room as about to change; returns the ticket for {@link Enforcer.after}. */
  before(roomId: string): Promise<number>;
  /**
   * Enforces the committed state; resolves once banned streams the change allows again are open and
   * user rules it lifts are deleted at ZEGO (so the new tokens work when pushed), or after `resumeWaitMs`.
   */
  after(roomId: string, room: RoomState, removedUsers: readonly string[], ticket: number): Promise<void>;
  /**
   * Uses up a verified callback's nonce, then acts on it: a stream its publisher may not publish is
   * forbidden at once; a login of a user without access to the room is kicked at once.
   */
  recordCallback(callback: VerifiedCallback): Promise<"recorded" | "replayed" | "ignored" | "invalid">;
  view(roomId: string): Promise<EnforcementView>;
  backlog(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const MAX_ATTEMPTS = 50;
const WAIT_POLL_MS = 25;
const SWEEP_BATCH = 100;

/** Creates an {@link Enforcer}. */
export function createEnforcer(options: EnforcerOptions): Enforcer {
  const { store, clock, logger, tuning } = options;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const worker: EnforcementWorker | undefined =
    options.api === undefined
      ? undefined
      : createEnforcementWorker({ store, api: options.api, clock, logger, metrics: options.metrics, limits: options.limits, tuning, random: options.random, onSettled: notify });
  let sweepTimer: Timer | undefined;
  let stopped = true;

  const reconcile = async (roomId: string, given: RoomState | undefined, removedUsers: readonly string[], ticket: number | null): Promise<EnforcementPlan | undefined> => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await store.read(roomId);
      const room = given !== undefined && given.version >= record.version ? given : await options.rooms.getRoom(roomId);
      const candidates = options.userRules ? ruleCandidates(room, record, removedUsers) : [];
      const ruleUsers = options.userRules ? { ruleUsers: { candidates, held: await heldTokens(roomId, candidates), nowMs: clock.now() } } : {};
      const plan = planEnforcement({ room, record, defaultCanPublish: options.defaultCanPublish, unknownStream: options.unknownStream, removedUsers, ...ruleUsers });
      if (plan.empty && plan.write.version === record.version && ticket === null) return plan;
      if (await store.commit(roomId, record.revision, plan.write, ticket, clock.now())) {
        if (!plan.empty) worker?.wake();
        for (const userId of plan.unknownStreamUsers) {
          options.metrics.enforcementUnknownStream(options.unknownStream);
          logger.warn("revoked user's live stream is unknown", { roomId, userId, policy: options.unknownStream });
        }
        return plan;
      }
    }
    throw new UnavailableError("enforcement state is too busy");
  };

  const heldTokens = async (roomId: string, userIds: readonly string[]): Promise<Map<string, HeldToken>> => {
    const records = await Promise.all(userIds.map((u) => options.rooms.getIssued(u, roomId)));
    const held = new Map<string, HeldToken>();
    records.forEach((r, i) => {
      const userId = userIds[i];
      if (r !== null && userId !== undefined) held.set(userId, { expiresAtMs: r.expiresAt * 1000, anyStream: r.canPublish && r.streamIds === null });
    });
    return held;
  };

  const waitOpen = async (roomId: string, streamIds: readonly string[], lifted: readonly string[]): Promise<boolean> => {
    const deadline = clock.now() + tuning.resumeWaitMs;
    for (;;) {
      if ((await store.unsettled(streamIds)).length === 0 && (await store.unliftedRules(roomId, lifted, clock.now())).length === 0) return true;
      const left = deadline - clock.now();
      if (left <= 0 || stopped) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          waiters.delete(done);
          timer.cancel();
          resolve();
        };
        const timer = clock.setTimer(done, Math.min(WAIT_POLL_MS, left));
        waiters.add(done);
      });
    }
  };

  const checkLogin = async (roomId: string, userId: string) => {
    if (worker === undefined) return;
    if (hasAccess(await options.rooms.getRoom(roomId), userId)) return;
    await store.enqueueKicks(roomId, [{ userId, reason: "login" }], clock.now());
    worker.wake();
    options.metrics.enforcementLoginKick();
    logger.info("login of a user without access to the room; kicking", { roomId, userId });
  };

  // Rules ZEGO holds that the store does not know (memory mode after a restart): take them over, so
  // they are counted against the cap and lifted when their user is allowed again.
  let adopting: Promise<void> | undefined;
  const adoptRules = (api: ZegoServerApi) =>
    api.describeUserRules().then(
      async (res) => {
        const fields = { action: ZegoAction.DESCRIBE_USER_RULES, code: res.code, requestId: res.requestId, result: res.outcome };
        options.metrics.enforcementRequest(fields.action, res.outcome);
        if (res.outcome !== ZegoOutcome.OK) {
          logger.warn("could not list ZEGO's user ban rules", fields);
          return;
        }
        const adopted = await store.adoptRules(res.rules, clock.now());
        logger.info("zego call", { ...fields, rules: res.rules.length, adopted });
      },
    ).catch((e: unknown) => logger.warn("could not take over ZEGO's user ban rules", { error: errorName(e) }));

  const sweep = async () => {
    const stale = await store.staleIntents(clock.now() - tuning.intentGraceMs, SWEEP_BATCH);
    for (const { roomId, ticket } of stale) {
      // The change's own list of removed users died with its instance: token holders left outside stand for it.
      const room = await options.rooms.getRoom(roomId);
      await reconcile(roomId, room, await holdersOutside(options.rooms, room, clock.now()), ticket);
      logger.info("enforcement healed an unfinished room change", { roomId });
    }
  };
  const scheduleSweep = () => {
    sweepTimer = clock.setTimer(() => {
      sweep().then(
        () => undefined,
        (e: unknown) => logger.warn("enforcement sweep failed", { error: errorName(e) }),
      ).finally(() => {
        if (!stopped) scheduleSweep();
      });
    }, tuning.sweepMs);
  };

  return {
    enforcing: worker !== undefined,
    before: (roomId) => store.intend(roomId, clock.now()),
    async after(roomId, room, removedUsers, ticket) {
      if (worker === undefined) return;
      const plan = await reconcile(roomId, room, removedUsers, ticket);
      if (plan === undefined || plan.reopen.length + plan.lift.length === 0) return;
      if (!(await waitOpen(roomId, plan.reopen, plan.lift))) logger.warn("banned streams or user rules not yet lifted at ZEGO; pushing tokens anyway", { roomId, streams: plan.reopen.length, users: plan.lift.length });
    },
    async recordCallback(callback) {
      const { event } = callback;
      if (event.kind !== "create" && event.kind !== "close") {
        if ((await store.useNonce(callback.replayKey, clock.now())) === "replayed") return "replayed";
        if (event.kind === "login") await checkLogin(event.roomId, event.userId);
        return event.kind === "login" ? "recorded" : event.kind;
      }
      const ticket = worker === undefined ? null : await store.intend(event.roomId, clock.now());
      const recorded = await store.recordStream(event, callback.replayKey, clock.now());
      if (recorded === "recorded" && worker !== undefined) {
        reconcile(event.roomId, undefined, [], ticket).catch((e: unknown) => logger.warn("enforcement after a callback failed; the sweep retries", { roomId: event.roomId, error: errorName(e) }));
      }
      return recorded;
    },
    view: (roomId) => store.view(roomId),
    backlog: () => store.backlog(),
    start() {
      if (!stopped || worker === undefined) return;
      stopped = false;
      worker.start();
      scheduleSweep();
      if (options.userRules && options.api !== undefined) adopting = adoptRules(options.api);
    },
    async stop() {
      stopped = true;
      sweepTimer?.cancel();
      await adopting;
      notify();
      await worker?.stop();
    },
  };
}
