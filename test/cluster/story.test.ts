import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeToken04 } from "../../src/index.js";
import { keySlot } from "../../src/redis/key-slot.js";
import { startRedisCluster, type RedisProcess, type TestRedisCluster } from "../helpers/redis-cluster.js";
import { eventually, startTestServer, subscribe, TEST_SECRETS, type SubscriptionQueue, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, ROOM, SET_PUBLISHERS, type RenewedResult, type TokenShape } from "../service/ops.js";

// Two service instances on a 3-primary, 3-replica Redis Cluster, with REDIS_WAIT_REPLICAS=1.

let cluster: TestRedisCluster;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "story", REDIS_WAIT_REPLICAS: "1" };
  [a, b] = await Promise.all([startTestServer({ env, instanceName: "cl-a" }), startTestServer({ env, instanceName: "cl-b" })]);
});
afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.stop()));
  await cluster?.stop();
});

async function follow(sub: SubscriptionQueue<RenewedResult>) {
  let current: TokenShape = (await sub.next()).data!.tokenRenewed.token;
  return {
    async settle(quietMs = 300): Promise<TokenShape> {
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

describe("two instances on a Redis Cluster", () => {
  it("report the redis backend as ready", async () => {
    for (const s of [a, b]) {
      const res = await fetch(`${s.url.replace(/\/graphql$/, "")}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ready", backend: "redis" });
    }
  });

  it("a grant on A reaches a subscriber on B; the room's keys and channel live on the room's shard only", async () => {
    const room = "cl-grant";
    const sub = subscribe<RenewedResult>(await b.ws("alice"), RENEWED, { roomId: room });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    const granted = await a.gql(GRANT, { roomId: room, userId: "alice", streamIds: ["cl_a"] }, "service");
    expect(granted.errors).toBeUndefined();
    const push = (await sub.next()).data!.tokenRenewed;
    expect(push.reason).toBe("PRIVILEGE_CHANGED");
    expect(decodeToken04(push.token.token, { secret: TEST_SECRETS.serverSecret }).privilege).toMatchObject({ canPublish: true, streamIds: ["cl_a"] });

    const channel = `story:events:{${room}}`;
    const owner = await cluster.primaryFor(channel);
    expect(((await owner.admin.pubsub("SHARDCHANNELS")) as string[]).filter((c) => c.startsWith("story:"))).toEqual([channel]);
    for (const other of cluster.nodes.filter((n) => n !== owner)) {
      expect(((await other.admin.pubsub("SHARDCHANNELS")) as string[]).filter((c) => c.startsWith("story:"))).toEqual([]);
    }
    // The room's state and issued record are on the same primary (a plain client there gets no MOVED).
    expect(await owner.admin.exists(`story:room:{${room}}`, `story:issued:{${room}}:alice`)).toBe(2);
    sub.dispose();
    await eventually(async () => ((await owner.admin.pubsub("SHARDCHANNELS")) as string[]).every((c) => c !== channel), 3000, "the channel to be released");
  });

  it("slots computed locally match CLUSTER KEYSLOT, hash tags included", async () => {
    const keys = ["story:events:{cl-grant}", "story:room:{r1}", "{r1}:state", "foo", "foo{}{bar}", "a{b}c{d}", "story:basic:bob", "{", "}{x}"];
    const admin = cluster.nodes[0]!.admin;
    for (const key of keys) expect(keySlot(key)).toBe(await admin.cluster("KEYSLOT", key));
  });

  it("issueToken on A, then tokenRenewed on B showing that token sends nothing at once", async () => {
    const issued = await a.gql<{ issueToken: TokenShape }>(ISSUE, { roomId: "cl-shared" }, "bob");
    expect(issued.errors).toBeUndefined();
    const sub = subscribe<RenewedResult>(await b.ws("bob"), RENEWED, { roomId: "cl-shared", heldToken: issued.data!.issueToken.token });
    expect(await sub.drain(300)).toEqual([]);
    sub.dispose();
  });

  it("50 racing setPublishers from both instances leave exactly one list, and every subscriber's last token matches it", async () => {
    const room = "cl-race";
    const users = ["p0", "p1", "p2", "p3"];
    const subs = await Promise.all(users.map(async (u, i) => subscribe<RenewedResult>(await (i % 2 === 0 ? a : b).ws(u), RENEWED, { roomId: room })));
    const followers = await Promise.all(subs.map(follow));
    const listA = [{ userId: "p0", streamIds: ["x"] }, { userId: "p1", streamIds: null }];
    const listB = [{ userId: "p2", streamIds: ["y"] }, { userId: "p3", streamIds: ["z1", "z2"] }];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).gql(SET_PUBLISHERS, { roomId: room, publishers: i % 2 === 0 ? listA : listB }, "service")),
    );
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const final = (await a.gql<{ room: { publishers: Array<{ userId: string; streamIds: string[] | null }> } }>(ROOM, { roomId: room }, "service")).data!.room;
    expect([JSON.stringify(listA), JSON.stringify(listB)]).toContain(JSON.stringify(final.publishers));
    const tokens = await Promise.all(followers.map((f) => f.settle()));
    for (const [i, token] of tokens.entries()) {
      const entry = final.publishers.find((p) => p.userId === users[i]);
      expect(token.canPublish).toBe(entry !== undefined);
      expect(token.streamIds).toEqual(entry?.streamIds ?? null);
    }
    for (const s of subs) s.dispose();
  });
});

describe("resharding", () => {
  it("after the room's slot moves to another primary, the subscriber follows it and holds the latest state", async () => {
    const room = "cl-move";
    const key = `story:room:{${room}}`;
    const channel = `story:events:{${room}}`;
    const sub = subscribe<RenewedResult>(await b.ws("carol"), RENEWED, { roomId: room });
    await sub.next();
    expect((await a.gql(GRANT, { roomId: room, userId: "carol", streamIds: ["m1"] }, "service")).errors).toBeUndefined();
    expect((await sub.next()).data!.tokenRenewed.token.streamIds).toEqual(["m1"]);

    const from = await cluster.primaryFor(key);
    const to = (await cluster.primaries()).find((p) => p !== from)!;
    await migrateSlot(keySlot(key), from, to);
    await eventually(async () => (await cluster.primaryFor(key)) === to, 3000, "every node to see the move");

    const started = Date.now();
    expect((await a.gql(GRANT, { roomId: room, userId: "carol", streamIds: ["m2"] }, "service")).errors).toBeUndefined();
    let latest: string[] | null = null;
    while (JSON.stringify(latest) !== JSON.stringify(["m2"])) latest = (await sub.next(7000)).data!.tokenRenewed.token.streamIds;
    expect(Date.now() - started).toBeLessThan(7000);
    await eventually(async () => ((await to.admin.pubsub("SHARDCHANNELS")) as string[]).includes(channel), 3000, "the channel on the new primary");
    expect(await to.admin.exists(key, `story:issued:{${room}}:carol`)).toBe(2);
    sub.dispose();
  });
});

/** Moves one slot with its keys between primaries, the way `redis-cli --cluster reshard` does. */
async function migrateSlot(slot: number, from: RedisProcess, to: RedisProcess): Promise<void> {
  const fromId = (await from.admin.cluster("MYID")) as string;
  const toId = (await to.admin.cluster("MYID")) as string;
  await to.admin.cluster("SETSLOT", slot, "IMPORTING", fromId);
  await from.admin.cluster("SETSLOT", slot, "MIGRATING", toId);
  for (;;) {
    const keys = (await from.admin.cluster("GETKEYSINSLOT", slot, 100)) as string[];
    if (keys.length === 0) break;
    await from.admin.migrate("127.0.0.1", to.port, "", 0, 5000, "KEYS", ...keys);
  }
  for (const node of await cluster.primaries()) await node.admin.cluster("SETSLOT", slot, "NODE", toId);
}

describe("rate limits on a Redis Cluster", () => {
  it("hold across instances", async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "story-rl", ISSUE_RATE_LIMIT_PER_MINUTE: "4" };
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
