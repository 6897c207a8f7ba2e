import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenClient, createGameServerClient, zegoNativeEngine, zegoWebEngine, type ClientClock, type TokenServiceError, type TokenUpdate } from "../../packages/client/src/index.js";
import { createManualClock } from "../../src/clock/clock.js";
import { decodeToken04 } from "../../src/index.js";
import { eventually, startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { recordingNativeSdk, recordingWebSdk } from "./recording-engine.js";

let t: TestServer | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await t?.stop();
  t = undefined;
});

/** A real-time clock that counts pending timers. */
function countingClock(): ClientClock & { pending(): number } {
  const live = new Set<unknown>();
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const h = setTimeout(() => {
        live.delete(h);
        fn();
      }, ms);
      live.add(h);
      return h;
    },
    clearTimeout(h) {
      live.delete(h);
      clearTimeout(h as ReturnType<typeof setTimeout>);
    },
    pending: () => live.size,
  };
}

function decode(token: string) {
  return decodeToken04(token, { secret: TEST_SECRETS.serverSecret, now: Math.floor(Date.now() / 1000) });
}

async function setup(userId: string, extra: { clock?: ClientClock; authorization?: () => Promise<string> } = {}) {
  const server = t!;
  let authCalls = 0;
  const client = createTokenClient({
    url: server.url,
    webSocketImpl: WebSocket,
    authorization: extra.authorization ?? (async () => {
      authCalls++;
      return `Bearer ${await server.jwt(userId)}`;
    }),
    backoff: { baseMs: 20, maxMs: 200 },
    ...(extra.clock === undefined ? {} : { clock: extra.clock }),
  });
  cleanups.push(() => client.close());
  const game = createGameServerClient({ url: server.url, apiKey: TEST_SECRETS.apiKey, backoff: { baseMs: 20, maxMs: 200 } });
  return { client, game, authCalls: () => authCalls };
}

describe("createTokenClient against a real server", () => {
  it("web adapter: loginRoom(roomID, token, user), pushes applied as renewToken(token, roomID) once and in order", async () => {
    t = await startTestServer();
    const { client, game } = await setup("alice");
    const sdk = recordingWebSdk();
    const updates: TokenUpdate[] = [];
    const errors: TokenServiceError[] = [];
    const room = await client.joinRoom({
      roomId: "c-1", engine: zegoWebEngine(sdk), user: { userID: "alice", userName: "Alice" },
      onToken: (u) => updates.push(u), onError: (e) => errors.push(e),
    });
    expect(sdk.calls[0]).toEqual(["loginRoom", "c-1", room.token.token, { userID: "alice", userName: "Alice" }]);
    expect(decode(room.token.token).privilege).toMatchObject({ roomId: "c-1", canLoginRoom: true });
    await game.setRoomAccess({ roomId: "c-1", access: "OPEN" });
    await game.grantPublish({ roomId: "c-1", userId: "alice", streamIds: ["s1"] });
    await eventually(() => updates.some((u) => u.token.canPublish), 5000, "publishing token");
    const pushed = updates.find((u) => u.token.canPublish)!;
    // The client subscribes showing its login token: a grant landing before that subscription starts is a RESYNC.
    expect(["RESYNC", "PRIVILEGE_CHANGED"]).toContain(pushed.reason);
    expect(sdk.calls).toContainEqual(["renewToken", pushed.token.token, "c-1"]);
    expect(decode(pushed.token.token).privilege).toEqual({ roomId: "c-1", canLoginRoom: true, canPublish: true, streamIds: ["s1"] });
    // setPublishers: the turn moves to bob; alice gets a token without publish.
    await game.setPublishers({ roomId: "c-1", publishers: [{ userId: "bob" }] });
    await eventually(() => updates.at(-1)?.token.canPublish === false, 5000, "turn change");
    expect(decode(updates.at(-1)!.token.token).privilege?.canPublish).toBe(false);
    const renewed = sdk.calls.filter((c) => c[0] === "renewToken").map((c) => c[1]);
    expect(new Set(renewed).size).toBe(renewed.length);
    expect(renewed).toEqual(updates.filter((u) => u.reason !== "ISSUED").map((u) => u.token.token));
    expect(room.token.token).toBe(renewed.at(-1));
    expect(errors).toEqual([]);
    await Promise.all([room.leave(), room.leave()]);
    await room.leave();
    expect(sdk.calls.filter((c) => c[0] === "logoutRoom")).toEqual([["logoutRoom", "c-1"]]);
    expect(sdk.listeners()).toBe(0);
  });

  it("native adapter: loginRoom(roomID, user, { token }), renewToken(roomID, token); will-expire fetches over HTTP", async () => {
    t = await startTestServer();
    const clock = countingClock();
    const { client, game } = await setup("carol", { clock });
    const sdk = recordingNativeSdk();
    const updates: TokenUpdate[] = [];
    const room = await client.joinRoom({ roomId: "c-2", engine: zegoNativeEngine(sdk), user: { userID: "carol" }, onToken: (u) => updates.push(u) });
    expect(sdk.calls[0]).toEqual(["loginRoom", "c-2", { userID: "carol" }, { token: room.token.token }]);
    await game.grantPublish({ roomId: "c-2", userId: "carol" });
    await eventually(() => updates.some((u) => u.token.canPublish), 5000, "grant");
    expect(sdk.calls).toContainEqual(["renewToken", "c-2", room.token.token]);
    await new Promise((r) => setTimeout(r, 1100)); // a new second, so the fetched token differs
    sdk.fire("other-room", 30);
    sdk.fire("c-2", 30);
    await eventually(() => updates.at(-1)?.reason === "WILL_EXPIRE", 5000, "will-expire refresh");
    expect(updates.filter((u) => u.reason === "WILL_EXPIRE")).toHaveLength(1);
    expect(clock.pending()).toBeGreaterThan(0);
    await room.leave();
    expect(clock.pending()).toBe(0);
    await client.close();
    expect(clock.pending()).toBe(0);
    expect(sdk.calls.at(-1)).toEqual(["logoutRoom", "c-2"]);
  });

  it("resumes after a server restart on the same port; the next grant still arrives", async () => {
    t = await startTestServer();
    const port = new URL(t.url).port;
    const { client } = await setup("dave");
    const sdk = recordingWebSdk();
    const updates: TokenUpdate[] = [];
    await client.joinRoom({ roomId: "c-3", engine: zegoWebEngine(sdk), user: { userID: "dave" }, onToken: (u) => updates.push(u) });
    await new Promise((r) => setTimeout(r, 200));
    await t.stop();
    t = await startTestServer({ env: { PORT: port } });
    const game = createGameServerClient({ url: t.url, apiKey: TEST_SECRETS.apiKey, backoff: { baseMs: 20, maxMs: 200 } });
    await new Promise((r) => setTimeout(r, 500));
    await game.grantPublish({ roomId: "c-3", userId: "dave" });
    await eventually(() => updates.some((u) => u.token.canPublish), 10_000, "grant after restart");
  });

  it("an expired JWT (close 4403) makes the client call authorization() again and carry on", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock });
    const server = t;
    let authCalls = 0;
    const { client, game } = await setup("erin", {
      authorization: async () => {
        authCalls++;
        return `Bearer ${await server.jwt("erin", 60)}`;
      },
    });
    const updates: TokenUpdate[] = [];
    await client.joinRoom({ roomId: "c-4", engine: zegoWebEngine(recordingWebSdk()), user: { userID: "erin" }, onToken: (u) => updates.push(u) });
    await eventually(() => authCalls >= 2, 5000, "WebSocket connected");
    const before = authCalls;
    clock.advance(61_000);
    await eventually(() => authCalls > before, 5000, "authorization() called again");
    await new Promise((r) => setTimeout(r, 300));
    await game.grantPublish({ roomId: "c-4", userId: "erin" });
    await eventually(() => updates.some((u) => u.token.canPublish), 5000, "grant after re-auth");
  });

  it("removal from a members-only room: logoutRoom, then onForbidden, no retries", async () => {
    t = await startTestServer();
    const { client, game } = await setup("frank");
    await game.setRoomAccess({ roomId: "c-5", access: "MEMBERS_ONLY" });
    await game.addRoomMembers({ roomId: "c-5", userIds: ["frank"] });
    const sdk = recordingWebSdk();
    const order: string[] = [];
    let forbidden: TokenServiceError | undefined;
    await client.joinRoom({
      roomId: "c-5", engine: zegoWebEngine(sdk), user: { userID: "frank" },
      onForbidden: (e) => {
        order.push(`forbidden:${sdk.calls.at(-1)?.[0]}`);
        forbidden = e;
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    await game.removeRoomMembers({ roomId: "c-5", userIds: ["frank"] });
    await eventually(() => forbidden !== undefined, 5000, "onForbidden");
    expect(forbidden!.code).toBe("FORBIDDEN");
    expect(order).toEqual(["forbidden:logoutRoom"]);
    const calls = sdk.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(sdk.calls.length).toBe(calls);
  });

  it("game-server client throws a typed error with the service's code", async () => {
    t = await startTestServer();
    const game = createGameServerClient({ url: t.url, apiKey: "wrong-key-wrong-key-wrong-key" });
    await expect(game.room({ roomId: "x" })).rejects.toMatchObject({ name: "TokenServiceError", code: expect.stringMatching(/UNAUTHENTICATED|FORBIDDEN/) });
  });
});
