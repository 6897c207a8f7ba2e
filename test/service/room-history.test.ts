import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, subscribe, TEST_SECRETS, type TestServer } from "../helpers/server.js";

const HISTORY = `query ($roomId: String!, $last: Int) { roomHistory(roomId: $roomId, last: $last) { version epoch at actor operation summary } }`;
const HOLDERS = `query ($roomId: String!) { room(roomId: $roomId) { version tokenHolders { userId expiresAt canPublish streamIds } } }`;

interface Entry {
  version: number;
  epoch: string;
  at: string;
  actor: string;
  operation: string;
  summary: string;
}

// Named key: its name is the actor of every change made with it.
const env = { SERVICE_API_KEYS: `game-eu:${TEST_SECRETS.apiKey}` };

/** The same story on the in-memory store and on Redis. */
for (const backend of ["memory", "redis"] as const) {
  describe(`room history, token holders and the members-only switch (${backend})`, () => {
    let t: TestServer;
    let redis: TestRedis | undefined;
    beforeAll(async () => {
      redis = backend === "redis" ? await startRedis() : undefined;
      t = await startTestServer({ env: { ...env, ...(redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_PREFIX: "hist" }) } });
    });
    afterAll(async () => {
      await t?.stop();
      await redis?.stop();
    });

    const history = async (roomId: string, last?: number) => {
      const r = await t.gql<{ roomHistory: Entry[] }>(HISTORY, { roomId, ...(last === undefined ? {} : { last }) }, "service");
      expect(r.errors).toBeUndefined();
      return r.data!.roomHistory;
    };

    it("records who changed what, with a summary, oldest first; a refused change leaves nothing", async () => {
      const before = Date.now();
      const ops = [
        `setPublishers(roomId: "h1", publishers: [{ userId: "alice" }])`,
        `setPublishers(roomId: "h1", publishers: [{ userId: "bob" }])`,
        `addRoomMembers(roomId: "h1", userIds: ["carol", "dave"])`,
        `removeRoomMembers(roomId: "h1", userIds: ["carol"])`,
      ];
      for (const op of ops) expect((await t.gql(`mutation { ${op} { version } }`, {}, "service")).errors).toBeUndefined();
      const refused = await t.gql(`mutation { grantPublish(roomId: "h1", userId: "bad user") { version } }`, {}, "service");
      expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const entries = await history("h1");
      expect(entries.map((e) => [e.version, e.actor, e.operation, e.summary])).toEqual([
        [1, "game-eu", "setPublishers", "turn: publish rules on, alice may publish any stream"],
        [2, "game-eu", "setPublishers", "turn: alice lost publish, bob may publish any stream"],
        [3, "game-eu", "addRoomMembers", "carol, dave added"],
        [4, "game-eu", "removeRoomMembers", "carol removed"],
      ]);
      for (const e of entries) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(before - 1000);
      expect(new Set(entries.map((e) => e.epoch)).size).toBe(1);
      expect((await history("h1", 2)).map((e) => e.version)).toEqual([3, 4]);
      expect(JSON.stringify(entries)).not.toContain(TEST_SECRETS.apiKey);
    });

    it("is for services only, and refuses a bad `last`", async () => {
      const user = await t.gql(HISTORY, { roomId: "h1" }, "alice");
      expect(user.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      for (const last of [0, -1, 10_001]) {
        const bad = await t.gql(HISTORY, { roomId: "h1", last }, "service");
        expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(bad.errors?.[0]?.message).toContain("last");
      }
    });

    it("switches to members-only with its members in one change, and roomChanged carries the entry", async () => {
      const sub = subscribe<{ data: { roomChanged: { version: number; lastChange: Entry | null } } }>(
        await t.ws("service"),
        `subscription { roomChanged(roomId: "h2") { version lastChange { version actor operation summary } } }`,
      );
      expect((await sub.next(2000)).data.roomChanged).toEqual({ version: 0, lastChange: null });
      const r = await t.gql<{ setRoomAccess: { version: number; access: string; members: string[] } }>(
        `mutation { setRoomAccess(roomId: "h2", access: MEMBERS_ONLY, members: ["alice", "bob"]) { version access members } }`,
        {},
        "service",
      );
      expect(r.data?.setRoomAccess).toEqual({ version: 1, access: "MEMBERS_ONLY", members: ["alice", "bob"] });
      const entry = { version: 1, actor: "game-eu", operation: "setRoomAccess", summary: "access MEMBERS_ONLY with 2 members; alice, bob added" };
      expect((await sub.next(2000)).data.roomChanged).toEqual({ version: 1, lastChange: entry });
      expect(await history("h2")).toMatchObject([entry]);
      sub.dispose();
    });

    it("lists who holds an unexpired token: after a removal, carol can still get in until her token expires", async () => {
      await t.gql(`mutation { addRoomMembers(roomId: "h3", userIds: ["alice", "carol"]) { version } }`, {}, "service");
      await t.gql(`mutation { grantPublish(roomId: "h3", userId: "alice", streamIds: ["cam"]) { version } }`, {}, "service");
      await t.gql(`mutation { setRoomAccess(roomId: "h3", access: MEMBERS_ONLY) { version } }`, {}, "service");
      const issued: Record<string, number> = {};
      for (const user of ["alice", "carol"]) {
        const r = await t.gql<{ issueToken: { expiresAt: string } }>(`mutation { issueToken(roomId: "h3") { expiresAt } }`, {}, user);
        expect(r.errors).toBeUndefined();
        issued[user] = Date.parse(r.data!.issueToken.expiresAt);
      }
      await t.gql(`mutation { removeRoomMembers(roomId: "h3", userIds: ["carol"]) { version } }`, {}, "service");
      const r = await t.gql<{ room: { tokenHolders: Array<{ userId: string; expiresAt: string; canPublish: boolean; streamIds: string[] | null }> } }>(HOLDERS, { roomId: "h3" }, "service");
      expect(r.data?.room.tokenHolders).toEqual([
        { userId: "alice", expiresAt: new Date(issued["alice"]!).toISOString(), canPublish: true, streamIds: ["cam"] },
        { userId: "carol", expiresAt: new Date(issued["carol"]!).toISOString(), canPublish: false, streamIds: null },
      ]);
      const denied = await t.gql(`mutation { issueToken(roomId: "h3") { token } }`, {}, "carol");
      expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    });
  });
}

describe("room history in Redis survives a restart of every instance", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("is read by a new instance, and an unnamed key gets a stable name that is not the key", async () => {
    const redisEnv = { REDIS_URL: redis.url, REDIS_PREFIX: "restart" };
    const first = await startTestServer({ env: redisEnv });
    await first.gql(`mutation { grantPublish(roomId: "r1", userId: "alice", streamIds: ["a", "b"]) { version } }`, {}, "service");
    await first.stop();
    const second = await startTestServer({ env: redisEnv });
    try {
      const r = await second.gql<{ roomHistory: Entry[] }>(HISTORY, { roomId: "r1" }, "service");
      expect(r.data?.roomHistory).toHaveLength(1);
      expect(r.data?.roomHistory[0]).toMatchObject({ version: 1, operation: "grantPublish", summary: "publish rules on, alice may publish a, b" });
      expect(r.data?.roomHistory[0]?.actor).toMatch(/^key-[0-9a-f]{8}$/);
      expect(TEST_SECRETS.apiKey).not.toContain(r.data?.roomHistory[0]?.actor.slice(4));
    } finally {
      await second.stop();
    }
  });
});

describe("ROOM_HISTORY_LENGTH", () => {
  it("caps each room's history at the configured length, in memory and in Redis", async () => {
    const redis = await startRedis();
    try {
      const backends: Array<Record<string, string>> = [{}, { REDIS_URL: redis.url, REDIS_PREFIX: "cap" }];
      for (const extra of backends) {
        const t = await startTestServer({ env: { ROOM_HISTORY_LENGTH: "3", ...extra } });
        try {
          for (const user of ["a", "b", "c", "d", "e"]) await t.gql(`mutation { addRoomMembers(roomId: "cap", userIds: ["${user}"]) { version } }`, {}, "service");
          const r = await t.gql<{ roomHistory: Entry[] }>(HISTORY, { roomId: "cap", last: 10 }, "service");
          expect(r.data?.roomHistory.map((e) => e.summary)).toEqual(["c added", "d added", "e added"]);
        } finally {
          await t.stop();
        }
      }
    } finally {
      await redis.stop();
    }
  });
});
