import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createManualClock } from "../../src/clock/clock.js";
import { startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { RENEWED, type RenewedResult } from "./ops.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("graphql-ws sockets", () => {
  it("are closed with 4403 when the user's JWT expires, so the client reconnects with a fresh one", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock });
    const jwt = await t.jwt("alice", 120);
    const client = await t.ws(undefined, { connectionParams: { authorization: `Bearer ${jwt}` } });
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "ws-1" });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    clock.advance(119_000);
    // Tokens do not outlive the JWT (but live at least the minimum TTL): renewals came before its end.
    for (const push of await sub.drain(50)) expect(Date.parse(push.data!.tokenRenewed.token.expiresAt)).toBeLessThanOrEqual(clock.now() + 91_000);
    clock.advance(1_000);
    const { error } = await sub.done;
    expect((error as { code?: number }).code).toBe(4403);
  });

  it("are closed with 1001 on stop, and stop releases every subscription", async () => {
    t = await startTestServer();
    const client = await t.ws("alice");
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "ws-2" });
    await sub.next();
    const server = t;
    t = undefined;
    await server.server.stop();
    const { error } = await sub.done;
    expect((error as { code?: number }).code).toBe(1001);
    expect(server.server.hub.stats()).toEqual({ subscriptions: 0, timers: 0 });
    await server.stop();
  });

  it("refuses a socket that never sends connection_init valid credentials, while others keep working", async () => {
    t = await startTestServer();
    const raw = new WebSocket(t.wsUrl, "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => raw.on("close", (code) => resolve(code)));
    await new Promise((r) => raw.on("open", r));
    raw.send(JSON.stringify({ type: "connection_init", payload: { authorization: "Bearer junk" } }));
    expect(await closed).toBe(4403);
    const good = subscribe<RenewedResult>(await t.ws("bob"), RENEWED, { roomId: "ws-3" });
    expect((await good.next()).data!.tokenRenewed.token.userId).toBe("bob");
    good.dispose();
  });
});

describe("subscriptions over SSE", () => {
  it("deliver tokenRenewed over Server-Sent Events too", async () => {
    t = await startTestServer();
    const controller = new AbortController();
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${await t.jwt("alice")}` },
      body: JSON.stringify({ query: RENEWED, variables: { roomId: "sse-1" } }),
      signal: controller.signal,
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("INITIAL")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"reason":"INITIAL"');
    controller.abort();
  });
});
