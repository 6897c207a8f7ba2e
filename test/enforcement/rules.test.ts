import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { eventually, startTestServer, subscribe, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { startFakeZego, type FakeCall, type FakeZego } from "../helpers/fake-zego.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS, RENEWED, REVOKE, SET_ACCESS, type RenewedResult } from "../service/ops.js";

type Issued = { issueToken: { expiresAt: string } };

const ruleCall = (action: string, roomId: string, userId: string) => (c: FakeCall) => c.action === action && c.roomId === roomId && c.query.get("UserId") === userId;

describe("no comeback: ZEGO user ban rules (memory mode)", () => {
  let fake: FakeZego;
  let t: TestServer;
  const issue = async (roomId: string, userId: string) => {
    const res = await t.gql<Issued>(ISSUE, { roomId }, userId);
    expect(res.errors).toBeUndefined();
    return Date.parse(res.data!.issueToken.expiresAt);
  };
  const metrics = async () => (await fetch(`${t.server.url}/metrics`)).text();

  beforeAll(async () => {
    fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url } });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  it("a removed member holding a token gets a login rule that lasts exactly as long as the token, and a kick; re-added, the rule is lifted first", async () => {
    const roomId = "ru-members";
    await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
    await t.gql(ADD_MEMBERS, { roomId, userIds: ["carol", "dave"] }, "service");
    const expiresAtMs = await issue(roomId, "carol");
    const removedAt = Date.now();
    await t.gql(REMOVE_MEMBERS, { roomId, userIds: ["carol", "dave"] }, "service");
    const set = await fake.waitFor(ruleCall("SetForbidUserRule", roomId, "carol"));
    expect(set.code).toBe(0);
    expect(set.query.get("RuleType")).toBe("4");
    expect(set.query.getAll("DisabledPrivilege[]")).toEqual(["1"]);
    const seconds = Number(set.query.get("EffectiveTime"));
    expect(seconds).toBeLessThanOrEqual(Math.ceil((expiresAtMs - removedAt) / 1000));
    expect(seconds).toBeGreaterThanOrEqual(Math.floor((expiresAtMs - set.receivedAtMs) / 1000) - 1);
    await fake.waitFor((c) => c.action === "KickoutUser" && c.roomId === roomId && c.userIds.includes("carol"));
    // Dave held no token: kicked, but no rule is spent on him.
    await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
    expect(fake.calls.some(ruleCall("SetForbidUserRule", roomId, "dave"))).toBe(false);
    expect([...fake.rules.keys()].filter((k) => k.startsWith(roomId))).toEqual([`${roomId}/carol`]);
    expect(await metrics()).toMatch(/zts_enforcement_rules_in_force 1\b/);

    await t.gql(ADD_MEMBERS, { roomId, userIds: ["carol"] }, "service");
    // The mutation returns once ZEGO confirmed the delete, so the member's next login succeeds.
    expect(fake.rules.has(`${roomId}/carol`)).toBe(false);
    expect(fake.calls.find(ruleCall("DelForbidUserRule", roomId, "carol"))?.code).toBe(0);
    const m = await metrics();
    expect(m).toMatch(/zts_enforcement_rules_in_force 0\b/);
    expect(m).toMatch(/zts_enforcement_requests_total\{action="SetForbidUserRule",result="ok"\} [1-9]/);
    expect(m).toMatch(/zts_enforcement_requests_total\{action="DelForbidUserRule",result="ok"\} [1-9]/);
  });

  it("a demoted any-stream publisher gets a publish rule; granted again, it is deleted before the new token is pushed", async () => {
    const roomId = "ru-demote";
    await t.gql(GRANT, { roomId, userId: "erin" }, "service");
    await t.gql(GRANT, { roomId, userId: "fay", streamIds: ["ru-fay"] }, "service");
    const sub = subscribe<RenewedResult>(await t.ws("erin"), RENEWED, { roomId });
    expect((await sub.next()).data!.tokenRenewed.token).toMatchObject({ canPublish: true, streamIds: null });
    await issue(roomId, "fay");

    await t.gql(REVOKE, { roomId, userId: "erin" }, "service");
    await t.gql(REVOKE, { roomId, userId: "fay" }, "service");
    expect((await sub.next()).data!.tokenRenewed.token.canPublish).toBe(false);
    const set = await fake.waitFor(ruleCall("SetForbidUserRule", roomId, "erin"));
    expect(set.query.getAll("DisabledPrivilege[]")).toEqual(["2"]);
    expect(fake.rules.get(`${roomId}/erin`)?.privileges).toEqual([2]);
    // Fay's token named her streams: those are banned, no rule needed.
    await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
    expect(fake.calls.some(ruleCall("SetForbidUserRule", roomId, "fay"))).toBe(false);

    await t.gql(GRANT, { roomId, userId: "erin" }, "service");
    const push = await sub.next();
    const pushedAt = Date.now();
    expect(push.data!.tokenRenewed).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true } });
    const del = fake.calls.find(ruleCall("DelForbidUserRule", roomId, "erin"));
    expect(del?.code).toBe(0);
    expect(del!.receivedAtMs).toBeLessThanOrEqual(pushedAt);
    expect(fake.rules.has(`${roomId}/erin`)).toBe(false);
    sub.dispose();
  });
});

describe("user ban rules within ZEGO's limits", () => {
  it("never more rules than the cap nor calls than the pace; the rest wait for a free slot", async () => {
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret, ruleCap: 3 });
    const t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url }, enforcementLimits: { ruleCap: 3 } });
    try {
      const roomId = "ru-cap";
      const users = Array.from({ length: 14 }, (_, i) => `m${String(i).padStart(2, "0")}`);
      await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
      await t.gql(ADD_MEMBERS, { roomId, userIds: users }, "service");
      for (const u of users) expect((await t.gql(ISSUE, { roomId }, u)).errors).toBeUndefined();
      await t.gql(REMOVE_MEMBERS, { roomId, userIds: users.slice(0, 5) }, "service");
      await eventually(() => fake.rulesInForce() === 3, 5000, "three rules");
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.rulesInForce()).toBe(3);
      expect(fake.calls.filter((c) => c.code === 50123)).toEqual([]);
      expect(await (await fetch(`${t.server.url}/metrics`)).text()).toMatch(/zts_enforcement_rules_in_force 3\b/);
      // A lift frees a slot: a waiting user gets their rule.
      const first = [...fake.rules.values()][0]!;
      await t.gql(ADD_MEMBERS, { roomId, userIds: [first.userId] }, "service");
      await eventually(() => fake.calls.filter((c) => c.action === "SetForbidUserRule" && c.code === 0).length === 4, 5000, "fourth rule");
      expect(fake.maxRulesInForce).toBe(3);
    } finally {
      await t.stop();
      await fake.stop();
    }
  }, 20_000);

  it("paces rule calls under ZEGO's 10 a second, across rooms", async () => {
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    const t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url } });
    try {
      const rooms = Array.from({ length: 14 }, (_, i) => `ru-pace-${i}`);
      for (const roomId of rooms) {
        await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
        await t.gql(ADD_MEMBERS, { roomId, userIds: ["p1"] }, "service");
        expect((await t.gql(ISSUE, { roomId }, "p1")).errors).toBeUndefined();
      }
      await Promise.all(rooms.map((roomId) => t.gql(REMOVE_MEMBERS, { roomId, userIds: ["p1"] }, "service")));
      await eventually(() => fake.rulesInForce() === rooms.length, 10_000, "every rule set");
      const sets = fake.calls.filter((c) => c.action === "SetForbidUserRule").map((c) => c.receivedAtMs);
      expect(sets).toHaveLength(rooms.length);
      for (const at of sets) expect(sets.filter((x) => x >= at && x < at + 1000).length).toBeLessThanOrEqual(10);
      expect(fake.counts.rateLimited).toBe(0);
    } finally {
      await t.stop();
      await fake.stop();
    }
  }, 20_000);

  it("ZEGO_USER_RULES=off (rules not enabled for the project): kicks only, no rule calls", async () => {
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    const t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url, ZEGO_USER_RULES: "off" } });
    try {
      const roomId = "ru-off";
      await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
      await t.gql(ADD_MEMBERS, { roomId, userIds: ["olga"] }, "service");
      expect((await t.gql(ISSUE, { roomId }, "olga")).errors).toBeUndefined();
      await t.gql(REMOVE_MEMBERS, { roomId, userIds: ["olga"] }, "service");
      await fake.waitFor((c) => c.action === "KickoutUser" && c.roomId === roomId);
      await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
      expect(fake.calls.filter((c) => c.action.includes("ForbidUserRule"))).toEqual([]);
    } finally {
      await t.stop();
      await fake.stop();
    }
  });

  it("after a restart, rules ZEGO still holds are taken over: counted, and lifted when their user is allowed again", async () => {
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    fake.rules.set("ru-adopt/zed", { roomId: "ru-adopt", userId: "zed", privileges: [1], expiresAtMs: Date.now() + 300_000 });
    const t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url } });
    try {
      await fake.waitFor((c) => c.action === "DescribeForbidUserRules" && c.code === 0);
      await eventually(async () => /zts_enforcement_rules_in_force 1\b/.test(await (await fetch(`${t.server.url}/metrics`)).text()), 3000, "rule adopted");
      await t.gql(SET_ACCESS, { roomId: "ru-adopt", access: "MEMBERS_ONLY" }, "service");
      await t.gql(ADD_MEMBERS, { roomId: "ru-adopt", userIds: ["zed"] }, "service");
      expect(fake.calls.find(ruleCall("DelForbidUserRule", "ru-adopt", "zed"))?.code).toBe(0);
      expect(fake.rules.size).toBe(0);
    } finally {
      await t.stop();
      await fake.stop();
    }
  });

  it("rules not enabled for the project (code 9): the rule lane pauses with a clear error; kicks go on", async () => {
    const lines: string[] = [];
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    fake.rulesDisabled = true;
    const t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url }, logger: createLogger({ level: "info", write: (line) => lines.push(line) }) });
    try {
      const roomId = "ru-off9";
      await t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
      await t.gql(ADD_MEMBERS, { roomId, userIds: ["nina"] }, "service");
      expect((await t.gql(ISSUE, { roomId }, "nina")).errors).toBeUndefined();
      await t.gql(REMOVE_MEMBERS, { roomId, userIds: ["nina"] }, "service");
      await fake.waitFor((c) => c.action === "SetForbidUserRule" && c.code === 9);
      expect(fake.calls.find((c) => c.action === "DescribeForbidUserRules")?.code).toBe(9);
      await fake.waitFor((c) => c.action === "KickoutUser" && c.roomId === roomId && c.code === 0);
      await eventually(() => lines.some((l) => l.includes("user ban rules are not enabled")), 3000, "error logged");
      expect(await (await fetch(`${t.server.url}/metrics`)).text()).toMatch(/zts_enforcement_requests_total\{action="SetForbidUserRule",result="auth_failed"\} 1\b/);
    } finally {
      await t.stop();
      await fake.stop();
    }
  });
});
