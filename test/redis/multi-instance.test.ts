import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeToken04 } from "../../src/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { eventually, startTestServer, subscribe, TEST_SECRETS, type SubscriptionQueue, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, ROOM, SET_PUBLISHERS, type RenewedResult, type TokenShape } from "../service/ops.js";

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let c: TestServer;

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: "multi" };
  [a, b, c] = await Promise.all([
    startTestServer({ env, instanceName: "inst-a" }),
    startTestServer({ env, instanceName: "inst-b" }),
    startTestServer({ env, instanceName: "inst-c" }),
  ]);
});
afterAll(async () => {
  await Promise.all([a, b, c].map((s) => s?.stop()));
  await redis?.stop();
});

type Token = NonNullable<RenewedResult["data"]>["tokenRenewed"]["token"];

/** Follows a subscription: the token it holds now, updated by every push. */
async function follow(sub: SubscriptionQueue<RenewedResult>) {
  let current: Token = (await sub.next()).data!.tokenRenewed.token;
  return {
    /** Waits until pushes stop for `quietMs`, then returns the token held. */
    async settle(quietMs = 300): Promise<Token> {
      for (;;) {
        const items = await sub.drain(quietMs);
        if (items.length === 0) return current;
        for (const item of items) {
          expect(item.errors).toBeUndefined();
          current = item.data!.tokenRenewed.token;
        }
      }
    },
  };
}

describe("instances sharing one Redis", () => {
  it("report the redis backend as ready", async () => {
    const res = await fetch(`${a.server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", backend: "redis" });
  });

  it("a grant on A reaches a subscriber on B", async () => {
    const sub = subscribe<RenewedResult>(await b.ws("alice"), RENEWED, { roomId: "m-grant" });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    await a.gql(GRANT, { roomId: "m-grant", userId: "alice", streamIds: ["m-grant_a"] }, "service");
    const push = (await sub.next()).data!.tokenRenewed;
    expect(push.reason).toBe("PRIVILEGE_CHANGED");
    expect(decodeToken04(push.token.token, { secret: TEST_SECRETS.serverSecret }).privilege).toMatchObject({ canPublish: true, streamIds: ["m-grant_a"] });
    sub.dispose();
  });

  it("issueToken on A, then tokenRenewed on B showing that token sends nothing at once; without it, INITIAL", async () => {
    const issued = await a.gql<{ issueToken: TokenShape }>(ISSUE, { roomId: "m-shared" }, "bob");
    expect(issued.errors).toBeUndefined();
    const sub = subscribe<RenewedResult>(await b.ws("bob"), RENEWED, { roomId: "m-shared", heldToken: issued.data!.issueToken.token });
    expect(await sub.drain(300)).toEqual([]);
    const plain = subscribe<RenewedResult>(await b.ws("bob"), RENEWED, { roomId: "m-shared" });
    expect((await plain.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    plain.dispose();
    sub.dispose();
  });

  it("a turn change in a room whose users sit on three instances reaches all of them", async () => {
    const room = "m-turn";
    const users = ["u0", "u1", "u2", "u3", "u4", "u5"];
    const servers = [a, b, c];
    const subs = await Promise.all(users.map(async (u, i) => subscribe<RenewedResult>(await servers[i % 3]!.ws(u), RENEWED, { roomId: room })));
    const followers = await Promise.all(subs.map(follow));
    await c.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "u1" }, { userId: "u4", streamIds: ["m-turn_u4"] }] }, "service");
    let tokens = await Promise.all(followers.map((f) => f.settle()));
    expect(tokens.map((t) => t.canPublish)).toEqual([false, true, false, false, true, false]);
    expect(tokens[4]!.streamIds).toEqual(["m-turn_u4"]);
    await a.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "u0" }, { userId: "u5" }] }, "service");
    tokens = await Promise.all(followers.map((f) => f.settle()));
    expect(tokens.map((t) => t.canPublish)).toEqual([true, false, false, false, false, true]);
    for (const t of tokens) expect(decodeToken04(t.token, { secret: TEST_SECRETS.serverSecret }).privilege?.canPublish).toBe(t.canPublish);
    for (const s of subs) s.dispose();
  });

  it("50 concurrent setPublishers from two game servers: one list wins whole, and every subscriber's last token matches it", async () => {
    const room = "m-race";
    const users = ["p0", "p1", "p2", "p3"];
    const subs = await Promise.all(users.map(async (u, i) => subscribe<RenewedResult>(await (i % 2 === 0 ? a : b).ws(u), RENEWED, { roomId: room })));
    const followers = await Promise.all(subs.map(follow));
    const listA = [{ userId: "p0", streamIds: ["x"] }, { userId: "p1", streamIds: null }];
    const listB = [{ userId: "p2", streamIds: ["y"] }, { userId: "p3", streamIds: ["z1", "z2"] }];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).gql(SET_PUBLISHERS, { roomId: room, publishers: i % 2 === 0 ? listA : listB }, "service")));
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const final = (await c.gql<{ room: { publishers: Array<{ userId: string; streamIds: string[] | null }> } }>(ROOM, { roomId: room }, "service")).data!.room;
    expect([JSON.stringify(listA), JSON.stringify(listB)]).toContain(JSON.stringify(final.publishers));
    const tokens = await Promise.all(followers.map((f) => f.settle()));
    for (const [i, token] of tokens.entries()) {
      const entry = final.publishers.find((p) => p.userId === users[i]);
      expect(token.canPublish).toBe(entry !== undefined);
      expect(token.streamIds).toEqual(entry?.streamIds ?? null);
    }
    for (const s of subs) s.dispose();
  });

  it("an instance listens to a room's channel only while it has a local subscriber there", async () => {
    const channel = "multi:events:m-chan";
    const numsub = async () => ((await redis.admin.pubsub("NUMSUB", channel)) as [string, number])[1];
    expect(await numsub()).toBe(0);
    const s1 = subscribe<RenewedResult>(await b.ws("q1"), RENEWED, { roomId: "m-chan" });
    const s2 = subscribe<RenewedResult>(await b.ws("q2"), RENEWED, { roomId: "m-chan" });
    await s1.next();
    await s2.next();
    expect(await numsub()).toBe(1);
    s1.dispose();
    await new Promise((r) => setTimeout(r, 100));
    expect(await numsub()).toBe(1);
    s2.dispose();
    await eventually(async () => (await numsub()) === 0, 3000, "the channel to be unsubscribed");
  });
});

describe("rate limits with Redis", () => {
  it("hold across instances", async () => {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: "multi-rl", ISSUE_RATE_LIMIT_PER_MINUTE: "4" };
    const [x, y] = await Promise.all([startTestServer({ env }), startTestServer({ env })]);
    try {
      const codes: Array<string | undefined> = [];
      for (let i = 0; i < 6; i++) codes.push((await (i % 2 === 0 ? x : y).gql(ISSUE, { roomId: "rl" }, "limited-user")).errors?.[0]?.extensions?.code);
      expect(codes).toEqual([undefined, undefined, undefined, undefined, "RATE_LIMITED", "RATE_LIMITED"]);
    } finally {
      await Promise.all([x.stop(), y.stop()]);
    }
  });
});
