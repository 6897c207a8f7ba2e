import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeToken04, verifyToken04 } from "../../src/index.js";
import { firstError, startTestServer, subscribe, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS, RENEWED, REVOKE, ROOM, SET_ACCESS, SET_PUBLISHERS, type RenewedResult, type TokenShape } from "./ops.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const secret = TEST_SECRETS.serverSecret;
const privilegeOf = (token: string) => decodeToken04(token, { secret }).privilege;

describe("the full story on one instance", () => {
  it("join: issueToken returns a privilege token from the room state, with renewal times", async () => {
    const r = await t.gql<{ issueToken: TokenShape }>(ISSUE, { roomId: "story-join" }, "alice");
    expect(r.errors).toBeUndefined();
    const tok = r.data!.issueToken;
    expect(tok).toMatchObject({ userId: "alice", roomId: "story-join", canLoginRoom: true, canPublish: false, streamIds: null, version: 0, appId: TEST_APP_ID });
    const decoded = verifyToken04(tok.token, { secret, appId: TEST_APP_ID, userId: "alice", roomId: "story-join" });
    expect(decoded.privilege).toEqual({ roomId: "story-join", canLoginRoom: true, canPublish: false, streamIds: null });
    const expires = Date.parse(tok.expiresAt);
    expect(expires - Date.parse(tok.issuedAt)).toBe(600_000);
    expect(expires - Date.parse(tok.renewAt)).toBeGreaterThan(30_000);
    expect(expires - Date.parse(tok.renewAt)).toBeLessThanOrEqual(90_000);
    expect(Math.abs(Date.parse(tok.serverTime) - Date.now())).toBeLessThan(5000);
  });

  it("refuses a token without roomId unless ALLOW_BASIC_TOKENS is on, over HTTP and graphql-ws alike", async () => {
    const r = await t.gql<{ issueToken: TokenShape }>(ISSUE, {}, "alice");
    expect(r.data).toBeNull();
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "roomId" });
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, {});
    expect((await firstError(sub))?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "roomId" });
    sub.dispose();
  });

  it("a basic token without roomId where allowed, which inspectToken reports as unrestricted", async () => {
    const basic = await startTestServer({ env: { ALLOW_BASIC_TOKENS: "true" } });
    try {
      const r = await basic.gql<{ issueToken: TokenShape }>(ISSUE, {}, "alice");
      expect(r.data!.issueToken.roomId).toBeNull();
      expect(privilegeOf(r.data!.issueToken.token)).toBeNull();
      const inspected = await basic.gql<{ inspectToken: { valid: boolean; restricted: boolean; note: string } }>(
        "query($t: String!) { inspectToken(token: $t, expect: { roomId: \"any-room\", streamId: \"s\" }) { valid restricted note } }",
        { t: r.data!.issueToken.token },
        "service",
      );
      expect(inspected.data!.inspectToken).toMatchObject({ valid: true, restricted: false });
      expect(inspected.data!.inspectToken.note).toMatch(/not restricted by room or stream/);
    } finally {
      await basic.stop();
    }
  });

  it("subscribe, grant, and the PRIVILEGE_CHANGED push carries a token that allows exactly the granted streams", async () => {
    const room = "story-grant";
    const issued = await t.gql<{ issueToken: TokenShape }>(ISSUE, { roomId: room }, "alice");
    const client = await t.ws("alice");
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: room, heldToken: issued.data!.issueToken.token });
    // The client shows the token just issued, and it is current: no push at once.
    expect(await sub.drain(200)).toEqual([]);

    const g = await t.gql(GRANT, { roomId: room, userId: "alice", streamIds: ["story-grant_alice"] }, "service");
    expect(g.errors).toBeUndefined();
    const push = await sub.next();
    expect(push.errors).toBeUndefined();
    expect(push.data!.tokenRenewed.reason).toBe("PRIVILEGE_CHANGED");
    expect(push.data!.tokenRenewed.token).toMatchObject({ canPublish: true, streamIds: ["story-grant_alice"], version: 1 });
    const token = push.data!.tokenRenewed.token.token;
    expect(privilegeOf(token)).toEqual({ roomId: room, canLoginRoom: true, canPublish: true, streamIds: ["story-grant_alice"] });
    expect(() => verifyToken04(token, { secret, appId: TEST_APP_ID, userId: "alice", roomId: room, streamId: "story-grant_alice" })).not.toThrow();
    expect(() => verifyToken04(token, { secret, appId: TEST_APP_ID, userId: "alice", roomId: room, streamId: "other" })).toThrow(/another|not allow/);
    sub.dispose();
  });

  it("subscribing without a current token pushes INITIAL at once", async () => {
    const client = await t.ws("dave");
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "story-initial" });
    const push = await sub.next();
    expect(push.data!.tokenRenewed.reason).toBe("INITIAL");
    expect(push.data!.tokenRenewed.token.userId).toBe("dave");
    sub.dispose();
  });

  it("a turn change with setPublishers moves the mic from alice to bob; revoke takes it away", async () => {
    const room = "story-turn";
    await t.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "alice", streamIds: ["a1"] }] }, "service");
    const alice = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: room });
    const bob = subscribe<RenewedResult>(await t.ws("bob"), RENEWED, { roomId: room });
    expect((await alice.next()).data!.tokenRenewed.token.canPublish).toBe(true);
    expect((await bob.next()).data!.tokenRenewed.token.canPublish).toBe(false);

    const r = await t.gql<{ setPublishers: { publishers: unknown } }>(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "bob", streamIds: null }] }, "service");
    expect(r.data!.setPublishers.publishers).toEqual([{ userId: "bob", streamIds: null }]);
    const a = (await alice.next()).data!.tokenRenewed;
    const b = (await bob.next()).data!.tokenRenewed;
    expect([a.reason, a.token.canPublish]).toEqual(["PRIVILEGE_CHANGED", false]);
    expect([b.reason, b.token.canPublish, b.token.streamIds]).toEqual(["PRIVILEGE_CHANGED", true, null]);
    expect(privilegeOf(a.token.token)?.canPublish).toBe(false);
    expect(privilegeOf(b.token.token)?.canPublish).toBe(true);

    await t.gql(REVOKE, { roomId: room, userId: "bob" }, "service");
    const b2 = (await bob.next()).data!.tokenRenewed;
    expect([b2.reason, b2.token.canPublish]).toEqual(["PRIVILEGE_CHANGED", false]);
    // alice was not affected by bob's revoke.
    expect(await alice.drain(150)).toEqual([]);
    alice.dispose();
    bob.dispose();
  });

  it("setPublishers with one invalid entry changes nothing", async () => {
    const room = "story-atomic";
    await t.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "alice" }] }, "service");
    const bad = await t.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "bob" }, { userId: "bad user" }] }, "service");
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0]?.extensions?.["field"]).toBe("publishers[1].userId");
    const dup = await t.gql(SET_PUBLISHERS, { roomId: room, publishers: [{ userId: "bob" }, { userId: "bob" }] }, "service");
    expect(dup.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const state = await t.gql<{ room: { publishers: unknown; version: number } }>(ROOM, { roomId: room }, "service");
    expect(state.data!.room).toMatchObject({ publishers: [{ userId: "alice", streamIds: null }], version: 1 });
  });

  it("members-only rooms refuse non-members and end the subscription of a removed member", async () => {
    const room = "story-members";
    await t.gql(ADD_MEMBERS, { roomId: room, userIds: ["alice", "bob"] }, "service");
    const acc = await t.gql<{ setRoomAccess: { access: string } }>(SET_ACCESS, { roomId: room, access: "MEMBERS_ONLY" }, "service");
    expect(acc.data!.setRoomAccess.access).toBe("MEMBERS_ONLY");

    const refused = await t.gql(ISSUE, { roomId: room }, "carol");
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(refused.data).toBeNull();
    const carol = subscribe<RenewedResult>(await t.ws("carol"), RENEWED, { roomId: room });
    expect((await firstError(carol))?.extensions?.["code"]).toBe("FORBIDDEN");

    const bob = subscribe<RenewedResult>(await t.ws("bob"), RENEWED, { roomId: room });
    expect((await bob.next()).data!.tokenRenewed.token.canLoginRoom).toBe(true);
    await t.gql(REMOVE_MEMBERS, { roomId: room, userIds: ["bob"] }, "service");
    const ended = await bob.next();
    expect(ended.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await bob.done).toEqual({});
    await expect.poll(() => t.server.hub.stats().subscriptions).toBe(0);
  });

  it("a burst of 100 changes ends in the final state without queueing 100 pushes or erroring", async () => {
    const room = "story-burst";
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: room });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0
          ? t.gql(GRANT, { roomId: room, userId: "alice", streamIds: [`s${i}`] }, "service")
          : t.gql(REVOKE, { roomId: room, userId: "alice" }, "service"),
      ),
    );
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const final = (await t.gql<{ room: { publishers: Array<{ userId: string; streamIds: string[] | null }>; version: number } }>(ROOM, { roomId: room }, "service")).data!.room;
    const pushes = [...(await sub.drain(500))];
    expect(pushes.every((p) => p.errors === undefined)).toBe(true);
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.length).toBeLessThan(100);
    const last = pushes.at(-1)!.data!.tokenRenewed.token;
    const entry = final.publishers.find((p) => p.userId === "alice");
    expect(last.canPublish).toBe(entry !== undefined);
    expect(last.streamIds).toEqual(entry?.streamIds ?? null);
    expect(privilegeOf(last.token)?.canPublish).toBe(entry !== undefined);
    sub.dispose();
  });
});
