import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startEnforcing, type Enforcing } from "../helpers/enforcing.js";
import type { FakeCall } from "../helpers/fake-zego.js";
import { eventually } from "../helpers/server.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS } from "../service/ops.js";

const SET_ACCESS_MEMBERS = `mutation($roomId: String!, $access: RoomAccess!, $members: [String!]) { setRoomAccess(roomId: $roomId, access: $access, members: $members) { version } }`;
type Issued = { issueToken: { expiresAt: string } };

const setRule = (roomId: string, userId: string) => (c: FakeCall) => c.action === "SetForbidUserRule" && c.roomId === roomId && c.query.get("UserId") === userId && c.code === 0;
const kick = (roomId: string, userId: string) => (c: FakeCall) => c.action === "KickoutUser" && c.roomId === roomId && c.userIds.includes(userId) && c.code === 0;

describe.each(["memory", "redis"] as const)("a switch to members-only shuts out silent listeners too (%s)", (mode) => {
  let redis: TestRedis | undefined;
  let e: Enforcing;
  const issue = async (roomId: string, userId: string) => {
    const res = await e.t.gql<Issued>(ISSUE, { roomId }, userId);
    expect(res.errors).toBeUndefined();
    return Date.parse(res.data!.issueToken.expiresAt);
  };
  const settled = () => eventually(async () => (await e.t.server.enforcer!.backlog()) === 0, 5000, "empty backlog");
  /** Checks a login rule lasting as long as the token (within the call's second), and a kick. */
  const expectShutOut = async (roomId: string, userId: string, expiresAtMs: number) => {
    const set = await e.fake.waitFor(setRule(roomId, userId));
    expect(set.query.getAll("DisabledPrivilege[]")).toEqual(["1"]);
    const seconds = Number(set.query.get("EffectiveTime"));
    expect(seconds).toBeLessThanOrEqual(Math.ceil((expiresAtMs - set.receivedAtMs) / 1000) + 1);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor((expiresAtMs - set.receivedAtMs) / 1000) - 1);
    await e.fake.waitFor(kick(roomId, userId));
  };
  const untouched = (roomId: string, userId: string) => {
    expect(e.fake.calls.some((c) => c.roomId === roomId && (c.query.get("UserId") === userId || c.userIds.includes(userId)))).toBe(false);
  };

  beforeAll(async () => {
    if (mode === "redis") redis = await startRedis();
    // A quick sweep, for the change whose instance died before enforcing it.
    e = await startEnforcing({ env: redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_PREFIX: "switch" }, server: { enforcementTuning: { sweepMs: 200, intentGraceMs: 500 } } });
  });
  afterAll(async () => {
    await e?.stop();
    await redis?.stop();
  });

  it("setRoomAccess(MEMBERS_ONLY) without members: every holder of a token, listener or publisher, gets a login rule and a kick", async () => {
    const roomId = `sw-plain-${mode}`;
    await e.t.gql(GRANT, { roomId, userId: "pia", streamIds: ["sw-pia"] }, "service");
    const listener = await issue(roomId, "lena");
    const publisher = await issue(roomId, "pia");
    expect((await e.t.gql(SET_ACCESS_MEMBERS, { roomId, access: "MEMBERS_ONLY" }, "service")).errors).toBeUndefined();
    await expectShutOut(roomId, "lena", listener);
    await expectShutOut(roomId, "pia", publisher);
    await settled();
    expect([...e.fake.rules.keys()].filter((k) => k.startsWith(`${roomId}/`)).sort()).toEqual([`${roomId}/lena`, `${roomId}/pia`]);
  });

  it("setRoomAccess(MEMBERS_ONLY, members): members left off the list and holders who are not members are kicked and ruled; kept members are not", async () => {
    const roomId = `sw-list-${mode}`;
    // Members listed while the room is still open; all three hold a token.
    await e.t.gql(ADD_MEMBERS, { roomId, userIds: ["kept", "dropped"] }, "service");
    await issue(roomId, "kept");
    const dropped = await issue(roomId, "dropped");
    const outsider = await issue(roomId, "outsider");
    const res = await e.t.gql(SET_ACCESS_MEMBERS, { roomId, access: "MEMBERS_ONLY", members: ["kept", "newcomer"] }, "service");
    expect(res.errors).toBeUndefined();
    await expectShutOut(roomId, "dropped", dropped);
    await expectShutOut(roomId, "outsider", outsider);
    await settled();
    untouched(roomId, "kept");
    untouched(roomId, "newcomer");
    // The same users as a removeRoomMembers of them would give: nothing more to do for a repeat.
    const calls = e.fake.calls.length;
    await e.t.gql(REMOVE_MEMBERS, { roomId, userIds: ["dropped", "outsider"] }, "service");
    await settled();
    expect(e.fake.calls.slice(calls).filter((c) => c.action === "SetForbidUserRule")).toEqual([]);
  });

  it("a switch committed by an instance that died before enforcing it: the sweep shuts the holders out too", async () => {
    const roomId = `sw-heal-${mode}`;
    const listener = await issue(roomId, "hal");
    // What an instance does before it dies: mark the room, commit the change, and nothing more.
    await e.t.server.enforcer!.before(roomId);
    await e.t.server.backends.store.applyChange(roomId, { kind: "setAccess", access: "MEMBERS_ONLY" });
    await expectShutOut(roomId, "hal", listener);
  });

  it("removeRoomMembers of a member who only listens: a login rule for as long as their token, and a kick", async () => {
    const roomId = `sw-remove-${mode}`;
    await e.t.gql(SET_ACCESS_MEMBERS, { roomId, access: "MEMBERS_ONLY", members: ["quiet", "other"] }, "service");
    const quiet = await issue(roomId, "quiet");
    await e.t.gql(REMOVE_MEMBERS, { roomId, userIds: ["quiet"] }, "service");
    await expectShutOut(roomId, "quiet", quiet);
    await settled();
    untouched(roomId, "other");
  });
});
