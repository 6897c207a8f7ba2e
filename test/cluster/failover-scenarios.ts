import { expect } from "vitest";
import { eventually, startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { RENEWED, ROOM, SET_PUBLISHERS, type RenewedResult } from "../service/ops.js";

/** How a scenario reaches the Redis deployment under test. */
export interface FailoverTarget {
  /** Environment that points an instance at it (REDIS_CLUSTER_NODES or REDIS_SENTINELS...). */
  readonly env: Record<string, string>;
  /** Kills the primary that serves `roomId`; returns a handle for the next two calls. */
  killPrimaryOf(roomId: string): Promise<{
    /** Resolves when a replica is the serving primary. */
    promoted(): Promise<void>;
    /** Brings the killed node back (as a replica) and waits until it is in sync. */
    restart(): Promise<void>;
  }>;
}

interface Ack {
  readonly n: number;
  readonly at: number;
  readonly version: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const listOf = (user: string, n: number) => [{ userId: user, streamIds: [`s${n}`] }];
const indexOf = (streamIds: readonly string[] | null) => (streamIds === null || streamIds.length === 0 ? -1 : Number(streamIds[0]!.slice(1)));

/** Adds what the test saw to a failed wait's message. */
async function explained(wait: Promise<void>, detail: () => string): Promise<void> {
  try {
    await wait;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (${detail()})`);
  }
}

/** A loop of setPublishers on `server`, each naming a fresh stream `s<n>`, one at a time. */
function changeLoop(server: TestServer, roomId: string, user: string, pauseMs: number) {
  const acks: Ack[] = [];
  const failures: string[] = [];
  let running = true;
  let n = 0;
  const done = (async () => {
    while (running) {
      n++;
      const res = await server.gql<{ setPublishers: { version: number } }>(SET_PUBLISHERS, { roomId, publishers: listOf(user, n) }, "service");
      if (res.errors === undefined) acks.push({ n, at: Date.now(), version: res.data!.setPublishers.version });
      else failures.push(res.errors[0]?.extensions?.code ?? res.errors[0]?.message ?? "?");
      await sleep(pauseMs);
    }
  })();
  return {
    acks,
    failures,
    inFlight: () => n,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** A subscriber that records when it first held each stream index. */
async function watcher(server: TestServer, roomId: string, user: string) {
  const sub = subscribe<RenewedResult>(await server.ws(user), RENEWED, { roomId });
  const seen: Array<{ index: number; at: number; reason: string }> = [];
  const first = (await sub.next()).data!.tokenRenewed;
  seen.push({ index: indexOf(first.token.streamIds), at: Date.now(), reason: first.reason });
  let stopped = false;
  const pump = (async () => {
    while (!stopped) {
      let item: RenewedResult;
      try {
        item = await sub.next(200);
      } catch {
        continue;
      }
      expect(item.errors).toBeUndefined();
      const r = item.data!.tokenRenewed;
      seen.push({ index: indexOf(r.token.streamIds), at: Date.now(), reason: r.reason });
    }
  })();
  return {
    seen,
    current: () => seen[seen.length - 1]!.index,
    /** When the subscriber first held index `n` or a later one. */
    reached: (n: number) => seen.find((s) => s.index >= n)?.at,
    async stop() {
      stopped = true;
      await pump;
      sub.dispose();
    },
  };
}

/**
 * Kill the primary serving a room while a game server changes it through instance A and a user
 * follows it through instance B: every change acknowledged during and after the failover reaches the
 * user within 5 s of the promotion (or of its acknowledgement, if later).
 */
export async function pushesAcrossFailover(target: FailoverTarget, roomId: string): Promise<void> {
  const env = { ...target.env, REDIS_WAIT_REPLICAS: "0" };
  const [a, b] = await Promise.all([startTestServer({ env, instanceName: "fo-a" }), startTestServer({ env, instanceName: "fo-b" })]);
  try {
    const user = "alice";
    const follower = await watcher(b, roomId, user);
    const loop = changeLoop(a, roomId, user, 50);
    await eventually(() => loop.acks.length >= 3, 5000, "changes before the kill");
    const killed = await target.killPrimaryOf(roomId);
    const killAt = Date.now();
    await killed.promoted();
    const promotedAt = Date.now();
    await eventually(() => loop.acks.some((x) => x.at > promotedAt), 5000, "a change acknowledged after the promotion");
    await sleep(1000);
    await loop.stop();
    const last = loop.acks[loop.acks.length - 1]!;
    await eventually(() => follower.current() === last.n, Math.max(0, promotedAt + 5000 - Date.now()) + 200, `the follower to hold s${last.n}`);
    for (const ack of loop.acks.filter((x) => x.at >= killAt)) {
      const reached = follower.reached(ack.n);
      expect(reached, `s${ack.n} pushed`).toBeDefined();
      expect(reached! - Math.max(ack.at, promotedAt), `s${ack.n} pushed within 5 s of the promotion`).toBeLessThan(5000);
    }
    await follower.stop();
    await killed.restart();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/**
 * With REDIS_WAIT_REPLICAS=1: a loop of changes, the primary killed, compare. Every change acknowledged
 * before the kill is in the state the promoted replica serves; while no replica can confirm, changes
 * are UNAVAILABLE but still pushed; with a replica back, they are acknowledged again.
 */
export async function acknowledgedSurvive(target: FailoverTarget, roomId: string): Promise<void> {
  const env = { ...target.env, REDIS_WAIT_REPLICAS: "1" };
  const [a, b] = await Promise.all([startTestServer({ env, instanceName: "dur-a" }), startTestServer({ env, instanceName: "dur-b" })]);
  try {
    const user = "bob";
    const follower = await watcher(b, roomId, user);
    const loop = changeLoop(a, roomId, user, 0);
    await explained(eventually(() => loop.acks.length >= 20, 15_000, "acknowledged changes"), () => `failures: ${loop.failures.slice(-5).join(",")} of ${loop.failures.length}`);
    const killed = await target.killPrimaryOf(roomId);
    const attempted = loop.inFlight();
    await loop.stop();
    await killed.promoted();
    const acked = loop.acks.filter((x) => x.n <= attempted);
    const lastAcked = acked[acked.length - 1]!;

    type RoomData = { room: { version: number; publishers: Array<{ userId: string; streamIds: string[] | null }> } };
    let room: RoomData["room"] | undefined;
    let lastError = "";
    await explained(eventually(async () => {
      const res = await b.gql<RoomData>(ROOM, { roomId }, "service");
      room = res.data?.room;
      lastError = JSON.stringify(res.errors ?? null);
      return room !== undefined;
    }, 10_000, "the room to be readable after the promotion"), () => `last answer: ${lastError}`);
    // The last acknowledged change is there; at most the one in flight at the kill came after it.
    expect(room!.version).toBeGreaterThanOrEqual(lastAcked.version);
    expect(room!.version).toBeLessThanOrEqual(lastAcked.version + 1);
    const held = indexOf(room!.publishers[0]?.streamIds ?? null);
    expect(room!.version === lastAcked.version ? held === lastAcked.n : held > lastAcked.n).toBe(true);

    // The promoted primary has no replica now: a change is stored and pushed, but not acknowledged.
    const unconfirmed = await a.gql(SET_PUBLISHERS, { roomId, publishers: listOf(user, 100_000) }, "service");
    expect(unconfirmed.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
    await eventually(() => follower.current() === 100_000, 10_000, "the unconfirmed change to be pushed");

    await killed.restart();
    let last = "";
    await explained(
      eventually(async () => {
        const res = await a.gql(SET_PUBLISHERS, { roomId, publishers: listOf(user, 100_001) }, "service");
        last = res.errors?.[0]?.extensions?.code ?? "";
        return res.errors === undefined;
      }, 15_000, "a confirmed change"),
      () => `last error: ${last}`,
    );
    await eventually(() => follower.current() === 100_001, 10_000, "the confirmed change to be pushed");
    await follower.stop();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
