import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { createGameServerClient, createTokenClient, zegoNativeEngine, type TokenUpdate } from "../../packages/client/src/index.js";
import { eventually, startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { manualClientClock } from "./manual-clock.js";
import { recordingNativeSdk } from "./recording-engine.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("token client safety nets and ordering", () => {
  it("fetches over HTTP when no renewal arrived by renewAt + grace (server times, device clock far off)", async () => {
    t = await startTestServer({ env: { TOKEN_TTL_SECONDS: "600" } });
    const server = t;
    // The device clock is a day off: only the server's renewAt - serverTime may matter.
    const clock = manualClientClock(Date.now() - 86_400_000);
    const client = createTokenClient({ url: server.url, webSocketImpl: WebSocket, authorization: async () => `Bearer ${await server.jwt("gina")}`, clock, renewalGraceMs: 5000 });
    const updates: TokenUpdate[] = [];
    const room = await client.joinRoom({ roomId: "n-1", engine: zegoNativeEngine(recordingNativeSdk()), user: { userID: "gina" }, onToken: (u) => updates.push(u) });
    const first = room.token;
    const wait = Date.parse(first.renewAt) - Date.parse(first.serverTime) + 5000;
    await new Promise((r) => setTimeout(r, 300)); // let any INITIAL push land first
    const settled = room.token;
    clock.advance(wait - 6000);
    await new Promise((r) => setTimeout(r, 200));
    expect(updates.some((u) => u.reason === "FALLBACK")).toBe(false);
    clock.advance(6000);
    await eventually(() => updates.at(-1)?.reason === "FALLBACK", 5000, "fallback fetch");
    expect(room.token.token).not.toBe(settled.token);
    await room.leave();
    expect(clock.pending()).toBe(0);
    await client.close();
    expect(clock.pending()).toBe(0);
  });

  it("applies bursts of pushes one at a time, in order, each once, even when renewToken is slow", async () => {
    t = await startTestServer();
    const server = t;
    const sdk = recordingNativeSdk();
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = {
      ...sdk,
      async renewToken(roomID: string, token: string) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 30)));
        await sdk.renewToken(roomID, token);
        inFlight--;
      },
    };
    const client = createTokenClient({ url: server.url, webSocketImpl: WebSocket, authorization: async () => `Bearer ${await server.jwt("hank")}` });
    const game = createGameServerClient({ url: server.url, apiKey: TEST_SECRETS.apiKey });
    const updates: TokenUpdate[] = [];
    const room = await client.joinRoom({ roomId: "n-2", engine: zegoNativeEngine(slow), user: { userID: "hank" }, onToken: (u) => updates.push(u) });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 1; i <= 6; i++) await game.grantPublish({ roomId: "n-2", userId: "hank", streamIds: [`s${i}`] });
    await eventually(() => room.token.streamIds?.[0] === "s6", 5000, "last grant applied");
    expect(maxInFlight).toBe(1);
    const renewed = sdk.calls.filter((c) => c[0] === "renewToken").map((c) => c[2]);
    expect(new Set(renewed).size).toBe(renewed.length);
    const applied = updates.filter((u) => u.reason !== "ISSUED");
    expect(applied.map((u) => u.token.token)).toEqual(renewed);
    const versions = applied.map((u) => u.token.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    await client.close();
  });

  it("leave() while reconnecting leaves no timer behind", async () => {
    t = await startTestServer();
    const server = t;
    const clock = manualClientClock();
    const errors: string[] = [];
    const client = createTokenClient({ url: server.url, webSocketImpl: WebSocket, authorization: async () => `Bearer ${await server.jwt("ivy")}`, clock });
    const room = await client.joinRoom({ roomId: "n-3", engine: zegoNativeEngine(recordingNativeSdk()), user: { userID: "ivy" }, onError: (e) => errors.push(e.code) });
    await new Promise((r) => setTimeout(r, 200));
    expect(clock.pending()).toBe(1); // the safety net
    await server.stop();
    t = undefined;
    await eventually(() => clock.pending() === 2, 5000, "a reconnect wait");
    await room.leave();
    expect(clock.pending()).toBe(0);
    await client.close();
    expect(clock.pending()).toBe(0);
    expect(errors).toEqual([]);
  });
});
