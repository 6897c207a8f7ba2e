import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/clock/clock.js";
import { firstError, startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, type RenewedResult, type TokenShape } from "../service/ops.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** An SSE subscription read as raw `text/event-stream` events. */
async function sse(url: string, jwt: string, roomId: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ query: RENEWED, variables: { roomId } }),
  });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const events: Array<{ event: string; data: string }> = [];
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
        const data = /^data: ?(.*)$/m.exec(block)?.[1] ?? "";
        if (data !== "" || event !== "message") events.push({ event, data });
      }
    }
    ended = true;
  })();
  return {
    events,
    get ended() {
      return ended;
    },
    pump,
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

const nextTick = () => new Promise((r) => setTimeout(r, 20));

describe("credentials bound every stream and token", () => {
  it("an SSE subscription ends with UNAUTHENTICATED at the JWT's expiry, and mints nothing after it", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock });
    const stream = await sse(t.url, await t.jwt("alice", 300), "sse-exp");
    await expect.poll(() => stream.events.length, { timeout: 5000 }).toBe(1);
    expect(JSON.parse(stream.events[0]!.data).data.tokenRenewed.reason).toBe("INITIAL");
    clock.advance(299_000);
    await nextTick();
    const before = stream.events.length;
    clock.advance(1_000);
    await expect.poll(() => stream.ended, { timeout: 5000 }).toBe(true);
    const after = stream.events.slice(before).filter((e) => e.data !== "").map((e) => JSON.parse(e.data) as RenewedResult);
    expect(after.at(-1)?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(after.filter((r) => r.data?.tokenRenewed !== undefined)).toEqual([]);
    // A grant after the expiry reaches no one and mints nothing.
    await t.gql(GRANT, { roomId: "sse-exp", userId: "alice" }, "service");
    await expect.poll(() => t!.server.hub.stats().subscriptions, { timeout: 5000 }).toBe(0);
  });

  it("a token never outlives the caller's JWT (but lives at least the minimum TTL)", async () => {
    t = await startTestServer();
    const issue = async (jwtTtl: number) => {
      const jwt = await t!.jwt("alice", jwtTtl);
      const res = await fetch(t!.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` },
        body: JSON.stringify({ query: ISSUE, variables: { roomId: "cap" } }),
      });
      const tok = ((await res.json()) as { data: { issueToken: TokenShape } }).data.issueToken;
      return (Date.parse(tok.expiresAt) - Date.parse(tok.issuedAt)) / 1000;
    };
    expect(await issue(600)).toBeLessThanOrEqual(600);
    expect(await issue(600)).toBeGreaterThanOrEqual(598);
    expect(await issue(30)).toBe(90);
    expect(await issue(86_400)).toBe(600);
  });

  it("a subscription's INITIAL token is charged to the user's mint limit; server pushes never are", async () => {
    t = await startTestServer({ env: { ISSUE_RATE_LIMIT_PER_MINUTE: "3" } });
    const client = await t.ws("alice");
    const subs = [1, 2, 3].map((i) => subscribe<RenewedResult>(client, RENEWED, { roomId: `lim-${i}` }));
    for (const s of subs) expect((await s.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    const refused = subscribe<RenewedResult>(client, RENEWED, { roomId: "lim-4" });
    expect((await firstError(refused))?.extensions?.["code"]).toBe("RATE_LIMITED");
    expect((await t.gql(ISSUE, { roomId: "lim-1" }, "alice")).errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    // Pushes the server starts still flow to the user who is over the limit.
    await t.gql(GRANT, { roomId: "lim-1", userId: "alice" }, "service");
    expect((await subs[0]!.next()).data!.tokenRenewed).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true } });
  });

  it("caps live subscriptions per user across sockets (MAX_SUBSCRIPTIONS_PER_USER)", async () => {
    t = await startTestServer({ env: { MAX_SUBSCRIPTIONS_PER_USER: "2", ISSUE_RATE_LIMIT_PER_MINUTE: "100" } });
    const a = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "cap-1" });
    const b = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "cap-2" });
    await a.next();
    await b.next();
    const c = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "cap-3" });
    const err = await firstError(c);
    expect(err?.extensions?.["code"]).toBe("RATE_LIMITED");
    expect(err?.message).toMatch(/at most 2 live subscriptions/);
    // Bob is not affected, and ending one of Alice's frees a slot.
    const bob = subscribe<RenewedResult>(await t.ws("bob"), RENEWED, { roomId: "cap-1" });
    expect((await bob.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    a.dispose();
    await expect.poll(() => t!.server.hub.stats().subscriptions).toBe(2);
    const d = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "cap-4" });
    expect((await d.next()).data!.tokenRenewed.reason).toBe("INITIAL");
  });
});
