import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { createMemoryEnforcementStore } from "../../src/enforcement/memory-store.js";
import type { EnforcementWrite, KickReason } from "../../src/enforcement/plan.js";
import { createRedisEnforcementStore } from "../../src/enforcement/redis-store.js";
import type { ClaimedWork, EnforcementStore, Lane, SettleOutcome } from "../../src/enforcement/store.js";
import { closeRedis, createRedisConnection, type RedisClient } from "../../src/redis/connection.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

// The enforcement state machine is written twice (TypeScript for memory, Lua for Redis): random
// operation sequences run against both, and everything the interface shows must be equal after each step.
// The clock is the `nowMs` each call takes; a sequence spans at most 10 minutes of it, inside the 20
// minutes Redis keeps replay keys by its own clock.

const ROOMS = ["r1", "r2"] as const;
const USERS = ["u1", "u2", "u3"] as const;
const STREAMS = ["s1", "s2", "s3", "s4"] as const;
const LANES = ["media", "room", "rule"] as const;
const T0 = 1_800_000_000_000;

const room = fc.constantFrom(...ROOMS);
const user = fc.constantFrom(...USERS);
const stream = fc.constantFrom(...STREAMS);
const subset = <T>(values: readonly T[], maxLength = values.length) => fc.subarray([...values], { maxLength });
const reason = fc.constantFrom<KickReason>("removed", "no_access", "unknown_stream", "login");
const ruleArb = fc.record({ userId: user, privileges: fc.integer({ min: 0, max: 3 }), untilIn: fc.integer({ min: -2000, max: 120_000 }) });

const writeArb = fc.record({
  version: fc.integer({ min: -1, max: 6 }),
  allowed: subset(STREAMS),
  anyUsers: subset(USERS),
  ban: fc.uniqueArray(fc.record({ streamId: stream, userId: fc.option(user, { nil: null }) }), { selector: (b) => b.streamId, maxLength: 4 }),
  unban: subset(STREAMS, 2),
  bounce: subset(STREAMS, 2),
  dropLive: subset(STREAMS, 2),
  kick: fc.uniqueArray(fc.record({ userId: user, reason }), { selector: (k) => k.userId, maxLength: 3 }),
  rules: fc.uniqueArray(ruleArb, { selector: (r) => r.userId, maxLength: 3 }),
});

const op = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 15_000 }) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant("intend" as const), room }), weight: 1 },
  {
    arbitrary: fc.record({ k: fc.constant("commit" as const), room, stale: fc.nat(5), ticket: fc.constantFrom("none", "last", "old"), write: writeArb }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ k: fc.constant("stream" as const), kind: fc.constantFrom("create" as const, "close" as const), room, stream, user, atIn: fc.integer({ min: -3000, max: 3000 }), nonce: fc.nat(6) }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant("nonce" as const), nonce: fc.nat(6) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant("kicks" as const), room, kicks: fc.uniqueArray(fc.record({ userId: user, reason }), { selector: (x) => x.userId, maxLength: 3 }) }), weight: 1 },
  {
    arbitrary: fc.record({ k: fc.constant("claim" as const), lane: fc.constantFrom(...LANES), max: fc.integer({ min: 1, max: 3 }), leaseMs: fc.constantFrom(1000, 4000), cap: fc.integer({ min: 1, max: 3 }) }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ k: fc.constant("settle" as const), back: fc.constantFrom(0, 0, 0, 1, 2), outcome: fc.constantFrom("done", "done", "done", "retry", "split", "drop"), dueIn: fc.integer({ min: 0, max: 5000 }) }),
    weight: 5,
  },
  // A worker's round: claim, call, done (drives items to the states ZEGO confirmed, so resumes and lifts follow).
  { arbitrary: fc.record({ k: fc.constant("work" as const), lane: fc.constantFrom(...LANES) }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant("adopt" as const), rules: fc.array(fc.record({ roomId: room, userId: user, privileges: fc.integer({ min: 0, max: 3 }), untilIn: fc.integer({ min: -2000, max: 120_000 }) }), { maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant("acquire" as const), lane: fc.constantFrom<Lane>(...LANES), limit: fc.constantFrom(1, 5, 9, 20, 50), times: fc.integer({ min: 1, max: 200 }) }), weight: 2 },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** One store with what the test keeps for it: claimed work (each store settles its own), tickets. */
interface Side {
  readonly store: EnforcementStore;
  readonly claims: ClaimedWork[];
  readonly tickets: Map<string, number[]>;
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Everything the interface shows, in a canonical order. */
async function observe(store: EnforcementStore, nowMs: number): Promise<unknown> {
  const rooms: Record<string, unknown> = {};
  for (const r of ROOMS) {
    const rec = await store.read(r);
    rooms[r] = {
      ...rec,
      banned: [...rec.banned].sort(byKey((b) => b.streamId)),
      live: [...rec.live].sort(byKey((l) => l.streamId)),
      rules: [...rec.rules].sort(byKey((x) => x.userId)),
      view: await store.view(r),
      unlifted: await store.unliftedRules(r, USERS, nowMs),
    };
  }
  return {
    rooms,
    backlog: await store.backlog(),
    rulesInForce: await store.rulesInForce(nowMs),
    unsettled: await store.unsettled(STREAMS),
    stale: [...(await store.staleIntents(nowMs + 1, 100))].sort(byKey((i) => i.roomId)),
  };
}

/** Runs one operation on one store; returns what it answered. */
async function run(side: Side, o: Op, nowMs: number, step: number): Promise<unknown> {
  const { store } = side;
  switch (o.k) {
    case "tick":
      return null;
    case "intend": {
      const t = await store.intend(o.room, nowMs);
      side.tickets.set(o.room, [...(side.tickets.get(o.room) ?? []), t]);
      return t;
    }
    case "commit": {
      const rec = await store.read(o.room);
      const tickets = side.tickets.get(o.room) ?? [];
      const ticket = o.ticket === "last" ? (tickets.at(-1) ?? null) : o.ticket === "old" ? (tickets.at(-2) ?? null) : null;
      const w = o.write;
      const write: EnforcementWrite = { ...w, allowed: [...w.allowed].sort(), anyUsers: [...w.anyUsers].sort(), rules: w.rules.map((r) => ({ userId: r.userId, privileges: r.privileges, untilMs: r.privileges === 0 ? 0 : nowMs + r.untilIn })) };
      return store.commit(o.room, o.stale === 0 ? rec.revision - 1 : rec.revision, write, ticket, nowMs);
    }
    case "stream":
      return store.recordStream({ kind: o.kind, roomId: o.room, userId: o.user, streamId: o.stream, atMs: nowMs + o.atIn }, `n${o.nonce}`, nowMs);
    case "nonce":
      return store.useNonce(`n${o.nonce}`, nowMs);
    case "kicks":
      return store.enqueueKicks(o.room, o.kicks, nowMs);
    case "claim": {
      const got = await store.claim(o.lane, o.max, nowMs, o.leaseMs, `t${step}`, o.cap);
      if ("items" in got) side.claims.push(got);
      return got;
    }
    case "settle": {
      const work = side.claims.at(-1 - o.back);
      if (work === undefined) return null;
      const outcome: SettleOutcome = o.outcome === "retry" ? { kind: "retry", dueMs: nowMs + o.dueIn } : { kind: o.outcome };
      return store.settle(work, outcome, nowMs);
    }
    case "work": {
      const got = await store.claim(o.lane, 3, nowMs, 4000, `t${step}`, 3);
      if ("items" in got) await store.settle(got, { kind: "done" }, nowMs);
      return got;
    }
    case "adopt":
      return store.adoptRules(o.rules.map((r) => ({ roomId: r.roomId, userId: r.userId, privileges: r.privileges, untilMs: nowMs + r.untilIn })), nowMs);
    case "acquire": {
      // A busy worker asking for call slots, each time again after the wait it was told.
      const waits: number[] = [];
      let at = nowMs;
      for (let i = 0; i < o.times; i++) {
        const wait = await store.acquire(o.lane, o.limit, at);
        waits.push(wait);
        at += wait;
      }
      return waits;
    }
  }
}

describe("the memory and Redis enforcement stores are one state machine", () => {
  let redis: TestRedis;
  let client: RedisClient;
  beforeAll(async () => {
    redis = await startRedis();
    client = createRedisConnection({ target: { kind: "single", url: redis.url }, role: "commands", name: "enforce-equivalence", logger: silentLogger, offlineQueue: false });
    await client.connect();
  });
  afterAll(async () => {
    await closeRedis(client);
    await redis.stop();
  });

  it("random sequences of changes, callbacks, claims, settles, adoptions and pacing: equal answers and equal state after every step", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40, size: "max" }), async (ops) => {
        await redis.admin.flushdb();
        const memory: Side = { store: createMemoryEnforcementStore(), claims: [], tickets: new Map() };
        const shared: Side = { store: createRedisEnforcementStore({ redis: client, prefix: "eq" }), claims: [], tickets: new Map() };
        let nowMs = T0;
        for (const [step, o] of ops.entries()) {
          if (o.k === "tick") nowMs += o.ms;
          const [m, r] = [await run(memory, o, nowMs, step), await run(shared, o, nowMs, step)];
          expect(r, `answer of step ${step} (${o.k})`).toEqual(m);
          expect(await observe(shared.store, nowMs), `state after step ${step} (${o.k})`).toEqual(await observe(memory.store, nowMs));
        }
      }),
      // About 7 s on a loaded machine; raise numRuns (e.g. to 3000, one minute) to hunt after a change to either store.
      { numRuns: 300 },
    );
  }, 60_000);
});
