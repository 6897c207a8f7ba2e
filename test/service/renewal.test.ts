import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/clock/clock.js";
import { decodeToken04 } from "../../src/index.js";
import { eventually, startTestServer, subscribe, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, type RenewedResult, type TokenShape } from "./ops.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("EXPIRING pushes", () => {
  it("arrive at renewAt, more than 30 s before expiry, and keep coming (injected clock)", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock, env: { TOKEN_TTL_SECONDS: "120", TOKEN_RENEW_LEAD_SECONDS: "40", TOKEN_RENEW_JITTER_SECONDS: "10" } });
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "exp-1" });
    const first = (await sub.next()).data!.tokenRenewed;
    expect(first.reason).toBe("INITIAL");
    let token = first.token;
    for (let round = 0; round < 3; round++) {
      const renewAt = Date.parse(token.renewAt);
      const expiresAt = Date.parse(token.expiresAt);
      expect(expiresAt - renewAt).toBeGreaterThan(30_000);
      expect(expiresAt - renewAt).toBeLessThanOrEqual(50_000);
      clock.advance(renewAt - clock.now() - 1);
      expect(await sub.drain(50)).toEqual([]);
      clock.advance(1);
      const push = (await sub.next()).data!.tokenRenewed;
      expect(push.reason).toBe("EXPIRING");
      expect(Date.parse(push.token.expiresAt)).toBe(Math.floor(clock.now() / 1000) * 1000 + 120_000);
      expect(decodeToken04(push.token.token, { secret: TEST_SECRETS.serverSecret, now: Math.floor(clock.now() / 1000) }).userId).toBe("alice");
      token = push.token;
    }
    sub.dispose();
  });

  it("jitter spreads renewals of tokens issued in the same second", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock });
    const renewAts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await t.gql<{ issueToken: TokenShape }>(ISSUE, { roomId: "exp-2" }, `user${i}`);
      const tok = r.data!.issueToken;
      const lead = Date.parse(tok.expiresAt) - Date.parse(tok.renewAt);
      expect(lead).toBeGreaterThanOrEqual(60_000);
      expect(lead).toBeLessThanOrEqual(90_000);
      renewAts.add(tok.renewAt);
    }
    expect(renewAts.size).toBeGreaterThan(10);
  });

  it("a token issued within the lead is replaced at once on subscribe (INITIAL)", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ clock });
    await t.gql(ISSUE, { roomId: "exp-3", ttl: 90 }, "alice");
    clock.advance(31_000);
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "exp-3" });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    sub.dispose();
  });

  it("the subscription renews with the lifetime the user asked for", async () => {
    t = await startTestServer();
    await t.gql(ISSUE, { roomId: "exp-4", ttl: 600 }, "alice");
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "exp-4" });
    await t.gql(GRANT, { roomId: "exp-4", userId: "alice" }, "service");
    const push = (await sub.next()).data!.tokenRenewed.token;
    expect(Date.parse(push.expiresAt) - Date.parse(push.issuedAt)).toBe(600_000);
    sub.dispose();
  });
});

describe("effectiveTimeInSeconds", () => {
  it("must lie in [lead + 30, TOKEN_MAX_TTL_SECONDS]", async () => {
    t = await startTestServer({ env: { TOKEN_MAX_TTL_SECONDS: "7200" } });
    for (const [ttl, ok] of [[89, false], [90, true], [7200, true], [7201, false], [0, false], [-5, false]] as const) {
      const r = await t.gql(ISSUE, { roomId: "ttl", ttl }, "alice");
      if (ok) expect(r.errors).toBeUndefined();
      else expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "effectiveTimeInSeconds" });
    }
  });
});

describe("no leaks", () => {
  it("1,000 subscribe/unsubscribe cycles leave no timers, streams or bus listeners", async () => {
    // Every INITIAL is a mint at the user's request: raise the limit (through configuration) for the loop.
    t = await startTestServer({ env: { ISSUE_RATE_LIMIT_PER_MINUTE: "100000", MAX_SUBSCRIPTIONS_PER_USER: "1000" } });
    const client = await t.ws("alice");
    for (let i = 0; i < 1000; i++) {
      const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: `leak-${i}` });
      if (i % 10 === 0) expect((await sub.next()).data!.tokenRenewed.token.userId).toBe("alice");
      sub.dispose();
    }
    await eventually(() => t!.server.hub.stats().subscriptions === 0, 5000, "all subscriptions to close");
    expect(t.server.hub.stats()).toEqual({ subscriptions: 0, timers: 0 });
    expect(t.server.backends.bus.listenerCount()).toBe(0);
  });

  it("refused subscriptions leave nothing behind", async () => {
    t = await startTestServer();
    await t.gql("mutation { setRoomAccess(roomId: \"closed\", access: MEMBERS_ONLY) { version } }", {}, "service");
    const client = await t.ws("mallory");
    for (let i = 0; i < 50; i++) await subscribe(client, RENEWED, { roomId: "closed" }).done.catch(() => undefined).then(() => undefined).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.server.hub.stats()).toEqual({ subscriptions: 0, timers: 0 });
    expect(t.server.backends.bus.listenerCount()).toBe(0);
  });
});
