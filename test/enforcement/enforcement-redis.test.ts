import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { eventually, startTestServer, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { startFakeZego, type FakeZego } from "../helpers/fake-zego.js";
import { postZegoCallback, streamEvent } from "../helpers/zego-callback.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS, REVOKE, SET_ACCESS } from "../service/ops.js";

const CALLBACK_SECRET = "callback-secret-for-redis-tests";
const TUNING = { leaseMs: 1000, pollMs: 100, sweepMs: 200, intentGraceMs: 500, backoffBaseMs: 50, backoffMaxMs: 300 };

describe("enforcement shared through Redis (two instances)", () => {
  let redis: TestRedis;
  let fake: FakeZego;
  const servers: TestServer[] = [];
  const start = async (name: string) => {
    const s = await startTestServer({
      instanceName: name,
      enforcementTuning: TUNING,
      env: { REDIS_URL: redis.url, REDIS_PREFIX: "enf", ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url, ZEGO_CALLBACK_SECRET: CALLBACK_SECRET },
    });
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
    fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
  });
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await fake?.stop();
    await redis?.stop();
  });

  it("an instance killed with a call in flight: the other completes its actions", async () => {
    const a = await start("enf-a");
    await a.gql(GRANT, { roomId: "k-room", userId: "alice", streamIds: ["k-alice"] }, "service");
    expect((await postZegoCallback(a.server.url, CALLBACK_SECRET, streamEvent("create", "k-room", "alice", "k-alice"))).status).toBe(200);
    fake.hold = true;
    await a.gql(REVOKE, { roomId: "k-room", userId: "alice" }, "service");
    await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("k-alice") && c.code === -1);
    // A dies: its Redis connections are cut and its held call never gets an answer.
    await a.server.backends.stop();
    fake.dropHeld();
    fake.hold = false;

    const b = await start("enf-b");
    const done = await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("k-alice") && c.code === 0, 5000);
    expect(done.sequence).toBeGreaterThan(0);
    expect(fake.banned.has("k-alice")).toBe(true);
    await eventually(async () => (await b.server.enforcer!.backlog()) === 0, 3000, "empty backlog on B");
    const view = await b.gql<{ room: { bannedStreamIds: string[]; liveStreams: unknown[] } }>(
      `query { room(roomId: "k-room") { bannedStreamIds liveStreams { streamId } } }`,
      {},
      "service",
    );
    expect(view.data!.room).toEqual({ bannedStreamIds: ["k-alice"], liveStreams: [] });
  });

  it("a change committed by an instance that died before enforcing it is healed by the sweep", async () => {
    const b = servers.at(-1)!;
    await b.gql(GRANT, { roomId: "k-heal", userId: "bob", streamIds: ["k-heal-bob"] }, "service");
    await postZegoCallback(b.server.url, CALLBACK_SECRET, streamEvent("create", "k-heal", "bob", "k-heal-bob"));
    // What an instance does before it dies: mark the room, commit the change, and nothing more.
    await b.server.enforcer!.before("k-heal");
    await b.server.backends.store.applyChange("k-heal", { kind: "revokePublish", userId: "bob" });
    await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("k-heal-bob") && c.code === 0, 5000);
  });

  it("Sequence strictly increases per stream across instances: forbid, resume, forbid of one stream", async () => {
    const c = await start("enf-c");
    const b = servers[1]!;
    await c.gql(GRANT, { roomId: "k-seq", userId: "carol", streamIds: ["k-seq-s"] }, "service");
    // A callback received by C is seen by B.
    await postZegoCallback(c.server.url, CALLBACK_SECRET, streamEvent("create", "k-seq", "carol", "k-seq-s"));
    const seen = await b.gql<{ room: { liveStreams: Array<{ streamId: string; userId: string }> } }>(`query { room(roomId: "k-seq") { liveStreams { streamId userId } } }`, {}, "service");
    expect(seen.data!.room.liveStreams).toEqual([{ streamId: "k-seq-s", userId: "carol" }]);
    await b.gql(REVOKE, { roomId: "k-seq", userId: "carol" }, "service");
    await fake.waitFor((x) => x.action === "ForbidRTCStreams" && x.streamIds.includes("k-seq-s") && x.code === 0);
    await c.gql(GRANT, { roomId: "k-seq", userId: "carol", streamIds: ["k-seq-s"] }, "service");
    await fake.waitFor((x) => x.action === "ResumeRTCStreams" && x.streamIds.includes("k-seq-s") && x.code === 0);
    await b.gql(REVOKE, { roomId: "k-seq", userId: "carol" }, "service");
    await eventually(() => fake.calls.filter((x) => x.streamIds.includes("k-seq-s") && x.code === 0).length === 3, 3000, "three calls");
    const seqs = fake.calls.filter((x) => x.streamIds.includes("k-seq-s") && x.code === 0).map((x) => x.sequence ?? 0);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
    expect(fake.counts.sequenceViolations).toBe(0);
    expect(fake.banned.has("k-seq-s")).toBe(true);
  });

  it("user rules through Redis: set by one instance's change, lifted by another's before its answer; counted for all", async () => {
    const [b, c] = [servers[1]!, servers[2]!];
    const roomId = "k-rule";
    await b.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
    await b.gql(ADD_MEMBERS, { roomId, userIds: ["gina"] }, "service");
    expect((await c.gql(ISSUE, { roomId }, "gina")).errors).toBeUndefined();
    await b.gql(REMOVE_MEMBERS, { roomId, userIds: ["gina"] }, "service");
    const set = await fake.waitFor((x) => x.action === "SetForbidUserRule" && x.roomId === roomId && x.code === 0);
    expect(set.query.getAll("DisabledPrivilege[]")).toEqual(["1"]);
    await eventually(async () => /zts_enforcement_rules_in_force 1\b/.test(await (await fetch(`${c.server.url}/metrics`)).text()), 3000, "count shared");
    await c.gql(ADD_MEMBERS, { roomId, userIds: ["gina"] }, "service");
    expect(fake.calls.find((x) => x.action === "DelForbidUserRule" && x.roomId === roomId)?.code).toBe(0);
    expect(fake.rules.has(`${roomId}/gina`)).toBe(false);
    expect(await (await fetch(`${b.server.url}/metrics`)).text()).toMatch(/zts_enforcement_rules_in_force 0\b/);
  });
});
