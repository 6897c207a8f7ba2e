import { randomBytes } from "node:crypto";
import type { Clock, Timer } from "../clock/clock.js";
import { errorName, type Logger } from "../log/logger.js";
import { ZegoOutcome } from "../zego/codes.js";
import { MAX_STREAMS_PER_CALL, MAX_USERS_PER_KICK, ZegoAction, type ZegoCallResult, type ZegoServerApi } from "../zego/server-api.js";
import type { ClaimedWork, EnforcementStore, Lane, SettleOutcome } from "./store.js";
import { effectiveSeconds, privilegeList } from "./rule-item.js";
import type { EnforcementLimits, EnforcementTuning } from "./tuning.js";

/** What the worker reports to metrics. */
export interface EnforcementMetrics {
  enforcementRequest(action: string, result: string): void;
  /** Seconds from the committed change to ZEGO's answer. */
  enforcementLatency(seconds: number): void;
  /** Items ZEGO rejected on their own, dropped. */
  enforcementRejected(action: string, count: number): void;
}

/** Options of {@link createEnforcementWorker}. */
export interface EnforcementWorkerOptions {
  readonly store: EnforcementStore;
  readonly api: ZegoServerApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: EnforcementMetrics;
  readonly limits: EnforcementLimits;
  readonly tuning: EnforcementTuning;
  /** Uniform [0, 1) for back-off jitter. */
  readonly random: () => number;
  /** Called after every settled call (waiters re-check their streams). */
  readonly onSettled?: () => void;
}

/** Works the enforcement queue: claims, paces, calls ZEGO, settles. One loop per rate-limit lane. */
export interface EnforcementWorker {
  start(): void;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
  /** Stops the loops, waiting briefly for a call in flight (its lease covers it if it does not finish). */
  stop(): Promise<void>;
}

const ACTION_OF = { forbid: ZegoAction.FORBID, resume: ZegoAction.RESUME, kick: ZegoAction.KICK, set_rule: ZegoAction.SET_USER_RULE, del_rule: ZegoAction.DEL_USER_RULE } as const;
const STOP_WAIT_MS = 2000;
// Room-signalling code: "permission to use the current interface has not been granted".
const NOT_ENABLED = 9;

/** Creates an {@link EnforcementWorker}. */
export function createEnforcementWorker(options: EnforcementWorkerOptions): EnforcementWorker {
  const { store, api, clock, logger, metrics, tuning } = options;
  let stopped = true;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        sleepers.delete(done);
        timer.cancel();
        resolve();
      };
      const timer = clock.setTimer(done, ms);
      sleepers.add(done);
    });

  const backoff = (attempts: number) => {
    const ms = Math.min(tuning.backoffMaxMs, tuning.backoffBaseMs * 2 ** Math.min(attempts, 20));
    return Math.round(ms * (0.5 + options.random() / 2));
  };

  const call = (work: ClaimedWork): Promise<ZegoCallResult> => {
    const ids = work.items.map((i) => i.id);
    if (work.action === "forbid") return api.forbidStreams(ids, work.sequence);
    if (work.action === "resume") return api.resumeStreams(ids, work.sequence);
    if (work.action === "set_rule" || work.action === "del_rule") {
      const first = work.items[0];
      if (first === undefined || (work.action === "set_rule" && first.rule === undefined)) throw new Error("rule work without its rule");
      if (first.rule === undefined || work.action === "del_rule") return api.deleteUserRule(first.roomId, first.id);
      return api.setUserRule(first.roomId, first.id, privilegeList(first.rule.privileges), effectiveSeconds(first.rule.untilMs, clock.now()));
    }
    return api.kickUsers(work.roomId ?? "", ids, "zego-token-service: privileges revoked");
  };

  const lane = (name: Lane) => {
    const max = name === "media" ? MAX_STREAMS_PER_CALL : name === "room" ? MAX_USERS_PER_KICK : 1;
    const limit = options.limits[name];
    let timer: Timer | undefined;
    let running: Promise<void> | undefined;
    let again = false;
    let pausedUntil = 0;
    // While work keeps coming, wait for the pace slot before claiming, so each call carries everything
    // that arrived during the wait; when idle, claim first (the slot is then free anyway).
    let busy = false;
    const paced = async () => {
      for (;;) {
        const wait = await store.acquire(name, limit, clock.now());
        if (wait === 0 || stopped) return;
        await sleep(wait);
      }
    };

    const step = async (): Promise<number> => {
      const now = clock.now();
      if (pausedUntil > now) return pausedUntil - now;
      if (busy) await paced();
      if (stopped) return 0;
      const claimedAt = clock.now();
      const claimed = await store.claim(name, max, claimedAt, tuning.leaseMs, randomBytes(8).toString("hex"), options.limits.ruleCap);
      if (!("items" in claimed)) {
        busy = false;
        return claimed.nextDueMs === null ? tuning.pollMs : Math.min(tuning.pollMs, Math.max(0, claimed.nextDueMs - claimedAt));
      }
      if (!busy) await paced();
      busy = true;
      if (stopped) {
        // Hand the items back at once rather than leaving them to the lease.
        await store.settle(claimed, { kind: "retry", dueMs: clock.now() }, clock.now());
        return 0;
      }
      const started = clock.now();
      const result = await call(claimed);
      const at = clock.now();
      const attempts = Math.max(...claimed.items.map((i) => i.attempts));
      let outcome: SettleOutcome;
      if (result.outcome === ZegoOutcome.OK) outcome = { kind: "done" };
      else if (result.outcome === ZegoOutcome.REJECTED) outcome = claimed.items.length > 1 ? { kind: "split" } : { kind: "drop" };
      else if (result.outcome === ZegoOutcome.AUTH_FAILED) {
        pausedUntil = at + tuning.authPauseMs;
        outcome = { kind: "retry", dueMs: pausedUntil };
      } else outcome = { kind: "retry", dueMs: at + backoff(attempts) };
      await store.settle(claimed, outcome, at);

      const action = ACTION_OF[claimed.action];
      metrics.enforcementRequest(action, result.outcome);
      if (result.outcome === ZegoOutcome.OK) for (const item of claimed.items) metrics.enforcementLatency(Math.max(0, at - item.enqueuedAtMs) / 1000);
      const fields = {
        action,
        ...(name === "rule" ? { userId: claimed.items[0]?.id } : { [name === "media" ? "streams" : "users"]: claimed.items.length }),
        ...(claimed.roomId === null ? {} : { roomId: claimed.roomId }),
        code: result.code,
        requestId: result.requestId,
        result: result.outcome,
        attempt: attempts + 1,
        ms: at - started,
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(result.status === null || result.status === 200 ? {} : { status: result.status }),
      };
      if (result.outcome === ZegoOutcome.AUTH_FAILED && name === "rule" && result.code === NOT_ENABLED) logger.error("zego user ban rules are not enabled for this project: ask ZEGO support, or set ZEGO_USER_RULES=off; lane paused", { ...fields, pauseMs: tuning.authPauseMs });
      else if (result.outcome === ZegoOutcome.AUTH_FAILED) logger.error("zego call refused: check ZEGO_APP_ID, ZEGO_SERVER_SECRET, ZEGO_API_IS_TEST and the clock; lane paused", { ...fields, pauseMs: tuning.authPauseMs });
      else if (outcome.kind === "split") logger.warn("zego call rejected; retrying its items one by one", { ...fields, ids: claimed.items.map((i) => i.id) });
      else if (outcome.kind === "drop") {
        metrics.enforcementRejected(action, claimed.items.length);
        logger.error("zego rejected an item on its own; dropped", { ...fields, ids: claimed.items.map((i) => i.id) });
      }
      else if (result.outcome === ZegoOutcome.OK) logger.info("zego call", fields);
      else logger.warn("zego call failed; retrying", fields);
      options.onSettled?.();
      return 0;
    };

    const run = () => {
      if (stopped) return;
      if (running !== undefined) {
        again = true;
        return;
      }
      timer?.cancel();
      running = step().then(
        (next) => next,
        (e: unknown) => {
          logger.warn("enforcement step failed", { lane: name, error: errorName(e) });
          return tuning.backoffBaseMs;
        },
      ).then((next) => {
        running = undefined;
        if (stopped) return;
        const delay = again ? 0 : next;
        again = false;
        timer = clock.setTimer(run, delay);
      });
    };

    return {
      run,
      async stop() {
        timer?.cancel();
        const current = running;
        if (current !== undefined) await Promise.race([current, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
      },
    };
  };

  const lanes = [lane("media"), lane("room"), lane("rule")];
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      for (const l of lanes) l.run();
    },
    wake() {
      for (const l of lanes) l.run();
    },
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.all(lanes.map((l) => l.stop()));
    },
  };
}
