import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS, startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { GRANT, RENEWED, type RenewedResult } from "../service/ops.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20" } });
});
afterAll(async () => {
  await t.stop();
});

/** A raw HTTP request, optionally from another loopback address. */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string; chunked?: boolean }) {
  return new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? "POST", headers: options.headers, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    if (options.chunked === true) {
      req.write(options.body ?? "");
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const codeOf = (body: string) => (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;

describe("query limits (graphql-armor), over HTTP and graphql-ws", () => {
  const deep = `{ ${"a { ".repeat(11)}b${" }".repeat(11)} }`;
  const aliases = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: serverTime`).join(" ")} }`;
  const directives = `{ serverTime ${"@skip(if: false) ".repeat(11)}}`;
  const tokens = `{ ${Array.from({ length: 1100 }, () => "serverTime").join(" ")} }`;

  for (const [what, query, pattern] of [
    ["depth over 10", deep, /depth/i],
    ["more than 15 aliases", aliases, /aliases/i],
    ["more than 10 directives", directives, /directives/i],
    ["more than 1,000 tokens", tokens, /token/i],
  ] as const) {
    it(`refuses ${what} with BAD_USER_INPUT`, async () => {
      const r = await t.gql(query, {}, "service");
      expect(r.errors?.some((e) => pattern.test(e.message))).toBe(true);
      expect(r.errors?.every((e) => e.extensions?.code === "BAD_USER_INPUT")).toBe(true);
      const ws = subscribe(await t.ws("service"), query);
      const { error } = await ws.done;
      const errors = error as Array<{ message: string; extensions?: { code?: string } }>;
      expect(errors.some((e) => pattern.test(e.message))).toBe(true);
      expect(errors.every((e) => e.extensions?.code === "BAD_USER_INPUT")).toBe(true);
    });
  }

  it("accepts ordinary queries at the limits", async () => {
    const r = await t.gql(`{ ${Array.from({ length: 15 }, (_, i) => `a${i}: serverTime`).join(" ")} }`, {}, "service");
    expect(r.errors).toBeUndefined();
  });
});

describe("request limits", () => {
  it("answers a body over 64 KiB with 413 before reading it", async () => {
    const body = JSON.stringify({ query: "{ serverTime }", variables: { pad: "x".repeat(70 * 1024) } });
    const r = await raw(t.url, { headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body });
    expect(r.status).toBe(413);
    expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
  });

  it("requires a Content-Length (no unbounded chunked bodies)", async () => {
    const r = await raw(t.url, { headers: { "content-type": "application/json", "transfer-encoding": "chunked" }, body: '{"query":"{ serverTime }"}', chunked: true });
    expect(r.status).toBe(411);
  });

  it("answers malformed JSON with 400 and a clear error", async () => {
    const body = "{not json";
    const r = await raw(t.url, { headers: { "content-type": "application/json", "content-length": String(body.length) }, body });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ errors: [{ message: "POST body sent invalid JSON.", extensions: { code: "BAD_USER_INPUT" } }] });
  });

  it("refuses CSRF-able requests (GET without a preflight header)", async () => {
    const r = await raw(`${t.url}?query=${encodeURIComponent("{ serverTime }")}`, { method: "GET" });
    expect(r.status).toBe(403);
    const ok = await raw(`${t.url}?query=${encodeURIComponent("{ serverTime }")}`, { method: "GET", headers: { "x-graphql-yoga-csrf": "1", accept: "application/json" } });
    expect(ok.status).toBe(200);
  });

  it("refuses batched requests", async () => {
    const body = JSON.stringify([{ query: "{ serverTime }" }, { query: "{ serverTime }" }]);
    const r = await raw(t.url, { headers: { "content-type": "application/json", "content-length": String(body.length) }, body });
    expect(r.status).toBeGreaterThanOrEqual(400);
  });
});

describe("abuse does not disturb a well-behaved client", () => {
  it("21 subscriptions on one socket, a flood of bad JWTs, oversized WebSocket messages: each refused, pushes keep flowing", async () => {
    const good = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "abuse" });
    expect((await good.next()).data!.tokenRenewed.reason).toBe("INITIAL");

    // 21 subscriptions on one socket: the 21st is refused.
    const greedy = await t.ws("mallory");
    const subs = Array.from({ length: 20 }, (_, i) => subscribe<RenewedResult>(greedy, RENEWED, { roomId: `abuse-${i}` }));
    for (const s of subs) expect((await s.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    const extra = subscribe(greedy, RENEWED, { roomId: "abuse-21" });
    const refused = (await extra.done).error as Array<{ extensions?: { code?: string } }>;
    expect(refused[0]?.extensions?.code).toBe("RATE_LIMITED");

    // A flood of bad JWTs from another address: UNAUTHENTICATED, then RATE_LIMITED with a retry time.
    const codes: string[] = [];
    let retryAfter: unknown;
    const floodStarted = Date.now();
    for (let i = 0; i < 30; i++) {
      const body = JSON.stringify({ query: "{ viewer { userId } }" });
      const r = await raw(t.url, { localAddress: "127.0.0.2", headers: { "content-type": "application/json", "content-length": String(body.length), authorization: `Bearer bad.${i}.jwt` }, body });
      const parsed = JSON.parse(r.body) as { errors: Array<{ extensions: { code: string; retryAfterSeconds?: number } }> };
      codes.push(parsed.errors[0]!.extensions.code);
      if (parsed.errors[0]!.extensions.code === "RATE_LIMITED") {
        expect(r.status).toBe(429);
        retryAfter = parsed.errors[0]!.extensions.retryAfterSeconds;
      }
    }
    expect(codes.slice(0, 20).every((c) => c === "UNAUTHENTICATED")).toBe(true);
    // Past the limit, one probe a second is still verified; everything else is refused unverified.
    const probes = codes.slice(20).filter((c) => c === "UNAUTHENTICATED").length;
    expect(probes).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - floodStarted) / 1000));
    expect(codes.slice(20).filter((c) => c === "RATE_LIMITED").length).toBe(10 - probes);
    expect(typeof retryAfter).toBe("number");

    // An oversized WebSocket message closes only that socket.
    const bigClient = await t.ws("eve");
    const big = subscribe(bigClient, `subscription { tokenRenewed(roomId: "${"r".repeat(70 * 1024)}") { reason } }`);
    const closed = (await big.done).error as { code?: number };
    expect(closed.code).toBe(1009);

    // Through all of it, alice still gets her pushes (the game server is on another address).
    await t.gql(GRANT, { roomId: "abuse", userId: "alice", streamIds: ["abuse_a"] }, "service");
    const push = (await good.next()).data!.tokenRenewed;
    expect(push).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true } });
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    for (const s of subs) s.dispose();
    good.dispose();
    void TEST_SECRETS;
  });
});

describe("issueToken rate limit", () => {
  it("allows ISSUE_RATE_LIMIT_PER_MINUTE per user, then RATE_LIMITED with retryAfterSeconds", async () => {
    const limited = await startTestServer({ env: { ISSUE_RATE_LIMIT_PER_MINUTE: "5" } });
    try {
      const codes: Array<string | undefined> = [];
      for (let i = 0; i < 7; i++) codes.push((await limited.gql('mutation { issueToken(roomId: "rl") { token } }', {}, "alice")).errors?.[0]?.extensions?.code);
      expect(codes).toEqual([undefined, undefined, undefined, undefined, undefined, "RATE_LIMITED", "RATE_LIMITED"]);
      const r = await limited.gql('mutation { issueToken(roomId: "rl") { token } }', {}, "alice");
      expect(r.errors?.[0]?.extensions?.["retryAfterSeconds"]).toBeGreaterThan(0);
      expect((await limited.gql('mutation { issueToken(roomId: "rl") { token } }', {}, "bob")).errors).toBeUndefined();
    } finally {
      await limited.stop();
    }
  });
});
