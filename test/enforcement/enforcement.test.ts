import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { eventually, startTestServer, subscribe, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { startFakeZego, type FakeZego } from "../helpers/fake-zego.js";
import { postZegoCallback, streamEvent } from "../helpers/zego-callback.js";
import { ADD_MEMBERS, GRANT, REMOVE_MEMBERS, RENEWED, REVOKE, SET_ACCESS, SET_PUBLISHERS, type RenewedResult } from "../service/ops.js";

const CALLBACK_SECRET = "callback-secret-for-tests";
const ROOM_VIEW = `query($roomId: String!) { room(roomId: $roomId) { version liveStreams { streamId userId since } bannedStreamIds } }`;
type RoomView = { room: { version: number; liveStreams: Array<{ streamId: string; userId: string; since: string }>; bannedStreamIds: string[] } };

const enforcingEnv = (fake: FakeZego, extra: Record<string, string> = {}) => ({
  ZEGO_ENFORCE: "on",
  ZEGO_SERVER_API_URL: fake.url,
  ZEGO_CALLBACK_SECRET: CALLBACK_SECRET,
  ...extra,
});

describe("enforcement against a fake ZEGO server (memory mode)", () => {
  let fake: FakeZego;
  let t: TestServer;
  const lines: string[] = [];
  const live = (roomId: string, userId: string, streamId: string) => postZegoCallback(t.server.url, CALLBACK_SECRET, streamEvent("create", roomId, userId, streamId));
  const view = async (roomId: string) => (await t.gql<RoomView>(ROOM_VIEW, { roomId }, "service")).data!.room;

  beforeAll(async () => {
    fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    t = await startTestServer({ env: enforcingEnv(fake), logger: createLogger({ level: "info", write: (line) => lines.push(line) }) });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  it("revoke forbids the live stream; room() shows it banned and no longer live", async () => {
    await t.gql(GRANT, { roomId: "x-revoke", userId: "alice", streamIds: ["x-revoke-alice"] }, "service");
    expect((await live("x-revoke", "alice", "x-revoke-alice")).status).toBe(200);
    expect((await view("x-revoke")).liveStreams).toMatchObject([{ streamId: "x-revoke-alice", userId: "alice" }]);
    const res = await t.gql(REVOKE, { roomId: "x-revoke", userId: "alice" }, "service");
    expect(res.errors).toBeUndefined();
    const call = await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("x-revoke-alice"));
    expect(call.code).toBe(0);
    expect(fake.banned.has("x-revoke-alice")).toBe(true);
    // A room shows a ban once ZEGO confirmed it.
    await eventually(async () => (await view("x-revoke")).bannedStreamIds.length === 1, 3000, "ban confirmed");
    expect(await view("x-revoke")).toMatchObject({ liveStreams: [], bannedStreamIds: ["x-revoke-alice"] });
    await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(metrics).toMatch(/zts_enforcement_requests_total\{action="ForbidRTCStreams",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/zts_enforcement_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/zts_enforcement_backlog 0/);
  });

  it("a turn change forbids the old speaker and resumes the new one before their token is pushed", async () => {
    const roomId = "x-turn";
    // Bob spoke first; when Alice's turn began, Bob's stream ID was banned.
    await t.gql(SET_PUBLISHERS, { roomId, publishers: [{ userId: "bob", streamIds: ["x-turn-bob"] }] }, "service");
    await t.gql(SET_PUBLISHERS, { roomId, publishers: [{ userId: "alice", streamIds: ["x-turn-alice"] }] }, "service");
    await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("x-turn-bob") && c.code === 0);
    await live(roomId, "alice", "x-turn-alice");

    const sub = subscribe<RenewedResult>(await t.ws("bob"), RENEWED, { roomId });
    expect((await sub.next()).data!.tokenRenewed.token.canPublish).toBe(false);
    const before = fake.calls.length;
    await t.gql(SET_PUBLISHERS, { roomId, publishers: [{ userId: "bob", streamIds: ["x-turn-bob"] }] }, "service");
    const push = await sub.next();
    const pushedAt = Date.now();
    expect(push.data!.tokenRenewed).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true, streamIds: ["x-turn-bob"] } });
    const resume = fake.calls.slice(before).find((c) => c.action === "ResumeRTCStreams" && c.streamIds.includes("x-turn-bob") && c.code === 0);
    expect(resume, "resume received before the push").toBeDefined();
    expect(resume!.receivedAtMs).toBeLessThanOrEqual(pushedAt);
    await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("x-turn-alice") && c.code === 0);
    expect(fake.banned.has("x-turn-bob")).toBe(false);
    expect(fake.banned.has("x-turn-alice")).toBe(true);
    await eventually(async () => (await view(roomId)).bannedStreamIds.length === 1, 3000, "ban confirmed");
    expect(await view(roomId)).toMatchObject({ liveStreams: [], bannedStreamIds: ["x-turn-alice"] });
    sub.dispose();
  });

  it("removal from a members-only room kicks the user", async () => {
    const roomId = "x-kick";
    await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
    await t.gql(ADD_MEMBERS, { roomId, userIds: ["carol", "dave"] }, "service");
    await t.gql(REMOVE_MEMBERS, { roomId, userIds: ["carol"] }, "service");
    const call = await fake.waitFor((c) => c.action === "KickoutUser" && c.roomId === roomId);
    expect(call).toMatchObject({ userIds: ["carol"], code: 0 });
    expect(fake.kicked).toContain(`${roomId}/carol`);
    expect(fake.kicked).not.toContain(`${roomId}/dave`);
  });

  it("a stream published outside the allow-list is forbidden as soon as ZEGO reports it", async () => {
    await t.gql(GRANT, { roomId: "x-sneak", userId: "erin", streamIds: ["x-sneak-ok"] }, "service");
    await live("x-sneak", "erin", "x-sneak-other");
    await fake.waitFor((c) => c.action === "ForbidRTCStreams" && c.streamIds.includes("x-sneak-other") && c.code === 0);
    expect(fake.banned.has("x-sneak-ok")).toBe(false);
  });

  it("a bad callback signature, a stale timestamp or a replayed nonce gets 401 and changes nothing", async () => {
    const roomId = "x-forged";
    await t.gql(GRANT, { roomId, userId: "mallory", streamIds: ["x-forged-s"] }, "service");
    const event = streamEvent("create", roomId, "mallory", "x-forged-s");
    expect((await postZegoCallback(t.server.url, "wrong-secret", event)).status).toBe(401);
    expect((await postZegoCallback(t.server.url, CALLBACK_SECRET, event, { signature: "0".repeat(40) })).status).toBe(401);
    expect((await postZegoCallback(t.server.url, CALLBACK_SECRET, event, { nowMs: Date.now() - 11 * 60 * 1000 })).status).toBe(401);
    expect(await view(roomId)).toMatchObject({ liveStreams: [], bannedStreamIds: [] });
    // A replay repeats the signed timestamp and nonce: pin the clock so both posts carry the same second.
    const at = Date.now();
    const ok = await postZegoCallback(t.server.url, CALLBACK_SECRET, event, { nonce: "replay-1", form: true, nowMs: at });
    expect(ok).toEqual({ status: 200, body: { code: 0, message: "ok" } });
    const close = streamEvent("close", roomId, "mallory", "x-forged-s", Date.now() + 1);
    expect(await postZegoCallback(t.server.url, CALLBACK_SECRET, close, { nonce: "replay-1", nowMs: at })).toMatchObject({ status: 401, body: { code: "REPLAYED" } });
    expect((await view(roomId)).liveStreams).toMatchObject([{ streamId: "x-forged-s", userId: "mallory" }]);
    expect((await fetch(`${t.server.url}/zego/callback`)).status).toBe(405);
  });

  it("logs one line per ZEGO call (action, counts, code, RequestId) and never the secret or a signature", async () => {
    const calls = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "zego call");
    expect(calls.length).toBe(fake.calls.filter((c) => c.code === 0).length);
    expect(calls.find((c) => c["action"] === "ForbidRTCStreams")).toMatchObject({ streams: expect.any(Number), code: 0, requestId: expect.stringMatching(/^\d+$/), result: "ok" });
    expect(calls.find((c) => c["action"] === "KickoutUser")).toMatchObject({ users: 1, roomId: "x-kick", code: 0 });
    const all = lines.join("\n");
    expect(all).not.toContain(TEST_SECRETS.serverSecret);
    expect(all).not.toContain(CALLBACK_SECRET);
    for (const c of fake.calls) expect(all).not.toContain(c.query.get("Signature"));
  });

  it("without ZEGO_CALLBACK_SECRET the callback endpoint is 404 and room() shows empty lists", async () => {
    const plain = await startTestServer();
    try {
      const res = await postZegoCallback(plain.server.url, CALLBACK_SECRET, streamEvent("create", "x-off", "u", "s"));
      expect(res.status).toBe(404);
      expect((await plain.gql<RoomView>(ROOM_VIEW, { roomId: "x-off" }, "service")).data!.room).toMatchObject({ liveStreams: [], bannedStreamIds: [] });
    } finally {
      await plain.stop();
    }
  });
});

describe("enforcement under ZEGO's rate limits", () => {
  it("retries rate-limit answers until every forbid and kick succeeds", async () => {
    // The fake allows 2 media calls and 1 kick per second: far below what the service paces for.
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret, limits: { media: 2, room: 1 } });
    const t = await startTestServer({ env: enforcingEnv(fake, { ZEGO_ENFORCE_UNKNOWN_STREAM: "kick" }), enforcementTuning: { backoffBaseMs: 50, backoffMaxMs: 400 } });
    try {
      const rooms = Array.from({ length: 6 }, (_, i) => `x-rate-${i}`);
      for (const roomId of rooms) await t.gql(GRANT, { roomId, userId: "pat", streamIds: [`${roomId}-s`] }, "service");
      await t.gql(GRANT, { roomId: "x-rate-any", userId: "quinn" }, "service");
      for (const roomId of rooms) {
        await t.gql(REVOKE, { roomId, userId: "pat" }, "service");
        await new Promise((r) => setTimeout(r, 20));
      }
      await t.gql(REVOKE, { roomId: "x-rate-any", userId: "quinn" }, "service");
      await eventually(() => rooms.every((r) => fake.banned.has(`${r}-s`)), 15_000, "every stream banned");
      await eventually(() => fake.kicked.includes("x-rate-any/quinn"), 5000, "unknown-stream kick");
      expect(fake.counts.rateLimited).toBeGreaterThan(0);
      expect(fake.counts.sequenceViolations).toBe(0);
      await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 5000, "empty backlog");
      const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
      expect(metrics).toMatch(/zts_enforcement_requests_total\{action="ForbidRTCStreams",result="rate_limited"\} [1-9]/);
      expect(metrics).toMatch(/zts_enforcement_unknown_streams_total\{policy="kick"\} 1/);
    } finally {
      await t.stop();
      await fake.stop();
    }
  }, 30_000);
});
