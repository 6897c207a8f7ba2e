import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstError, startTestServer, subscribe, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { CLIENT_ACCEPTS } from "../fixtures/client-accepts.js";
import { ISSUE, RENEWED, type RenewedResult } from "../service/ops.js";

const ALLOWED = "https://game.example";
const OTHER = "https://evil.example";
const env = { CORS_ORIGINS: `${ALLOWED},http://localhost:3000`, ISSUE_RATE_LIMIT_PER_MINUTE: "2", AUTH_FAILURE_LIMIT_PER_MINUTE: "1000" };

let fast: TestServer;
let yoga: TestServer;
beforeAll(async () => {
  fast = await startTestServer({ env });
  yoga = await startTestServer({ env, fastPath: false });
});
afterAll(async () => {
  await Promise.all([fast.stop(), yoga.stop()]);
});

/** The whole body, or for an event stream the text up to its first event (the stream is then cancelled). */
async function firstEvent(res: Response): Promise<string> {
  if (res.headers.get("content-type")?.startsWith("text/event-stream") !== true) return res.text();
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("\n\n") || !text.includes("data:")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text.slice(0, text.indexOf("\n\n", text.indexOf("data:")) + 2);
}

const HEADERS = ["access-control-allow-origin", "access-control-expose-headers", "vary", "content-type", "retry-after", "allow", "cache-control", "x-content-type-options"];

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}


/** The parts of an answer that must not depend on the path; volatile values (tokens, times) are masked. */
async function answer(res: Response): Promise<Answer> {
  const headers: Record<string, string | null> = {};
  for (const h of HEADERS) headers[h] = res.headers.get(h);
  const text = await firstEvent(res);
  const body = text
    .replace(/"04[A-Za-z0-9+/=]+"/g, '"<token>"')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, "<time>")
    .replace(/"retryAfterSeconds":\d+/g, '"retryAfterSeconds":<n>');
  if (headers["retry-after"] !== null) headers["retry-after"] = "<n>";
  return { status: res.status, headers, body };
}

describe("one HTTP behaviour, whatever the path", () => {
  it("the JSON fast path and Yoga answer a matrix of requests identically (status, CORS, content-type, retry-after, body)", async () => {
    const jwtFor = (t: TestServer, user: string) => t.jwt(user);
    const cases: Array<{ name: string; init: (t: TestServer) => Promise<RequestInit> }> = [];
    const accepts = [
      undefined,
      "*/*",
      "application/json",
      "application/json, text/plain",
      "application/graphql-response+json",
      "application/json, application/graphql-response+json",
      "text/html, application/*;q=0.5",
      "application/json; charset=iso-8859-1, application/graphql-response+json",
      ...Object.values(CLIENT_ACCEPTS),
    ];
    const twoOperations = "query Time { serverTime } query Who { viewer { userId } }";
    const origins = [undefined, ALLOWED, OTHER];
    // A subscription's first event comes only for a token that is not current yet: a user per case.
    let subscriber = 0;
    const bodies: Array<[string, (t: TestServer, n: number) => Promise<Record<string, string>>, string]> = [
      ["issueToken as alice", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "alice")}` }), JSON.stringify({ query: ISSUE, variables: { roomId: "diff" } })],
      ["anonymous issueToken", async () => ({}), JSON.stringify({ query: ISSUE, variables: { roomId: "diff" } })],
      ["bad JWT", async () => ({ authorization: "Bearer not-a-jwt" }), JSON.stringify({ query: "{ viewer { userId } }" })],
      ["service room query", async () => ({ "x-api-key": TEST_SECRETS.apiKey }), JSON.stringify({ query: '{ room(roomId: "diff") { version } }' })],
      ["validation error", async () => ({ "x-api-key": TEST_SECRETS.apiKey }), JSON.stringify({ query: "{ nope }" })],
      ["parse error", async () => ({}), JSON.stringify({ query: "{" })],
      ["bad JSON", async () => ({}), "{"],
      ["bad roomId", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "bob")}` }), JSON.stringify({ query: ISSUE, variables: { roomId: "has space" } })],
      ["variable that does not coerce", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "bob")}` }), JSON.stringify({ query: ISSUE, variables: { roomId: 5, ttl: "long" } })],
      ["missing required variable", async () => ({ "x-api-key": TEST_SECRETS.apiKey }), JSON.stringify({ query: "query($r: String!) { room(roomId: $r) { version } }", variables: {} })],
      ["two operations, operationName given", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "bob")}` }), JSON.stringify({ query: twoOperations, operationName: "Who" })],
      ["two operations, no operationName", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "bob")}` }), JSON.stringify({ query: twoOperations })],
      ["two operations, unknown operationName", async (t) => ({ authorization: `Bearer ${await jwtFor(t, "bob")}` }), JSON.stringify({ query: twoOperations, operationName: "Nope" })],
      ["subscription as POST", async (t, n) => ({ authorization: `Bearer ${await jwtFor(t, `sub${n}`)}` }), JSON.stringify({ query: RENEWED, variables: { roomId: "diff-sub" } })],
      ["anonymous subscription as POST", async () => ({}), JSON.stringify({ query: RENEWED, variables: { roomId: "diff-sub" } })],
    ];
    for (const accept of accepts) {
      for (const origin of origins) {
        for (const [what, headers, body] of bodies) {
          const n = subscriber++;
          cases.push({
            name: `${what} accept=${accept} origin=${origin}`,
            init: async (t) => ({
              method: "POST",
              headers: { "content-type": "application/json", ...(accept === undefined ? {} : { accept }), ...(origin === undefined ? {} : { origin }), ...(await headers(t, n)) },
              body,
            }),
          });
        }
      }
    }
    // A rate-limited issueToken: the third for one user within the minute (limit 2).
    for (const user of ["carol", "dave"]) {
      for (let i = 0; i < 3; i++) {
        cases.push({
          name: `issueToken #${i + 1} for ${user}`,
          init: async (t) => ({
            method: "POST",
            headers: { "content-type": "application/json", origin: ALLOWED, authorization: `Bearer ${await jwtFor(t, user)}` },
            body: JSON.stringify({ query: ISSUE, variables: { roomId: "limited" } }),
          }),
        });
      }
    }
    let limited = 0;
    for (const c of cases) {
      const a = await answer(await fetch(fast.url, await c.init(fast)));
      const b = await answer(await fetch(yoga.url, await c.init(yoga)));
      expect({ case: c.name, ...a }, c.name).toEqual({ case: c.name, ...b });
      if (a.status === 429) limited++;
    }
    // carol and dave hit their limit once each; alice (12 calls in the matrix) many times.
    expect(limited).toBeGreaterThanOrEqual(2);
  });

  it("a rate-limited issueToken answers 429 with Retry-After and RATE_LIMITED, on both paths", async () => {
    for (const t of [fast, yoga]) {
      const jwt = await t.jwt("erin");
      const post = () => fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` }, body: JSON.stringify({ query: ISSUE, variables: { roomId: "r429" } }) });
      await post();
      await post();
      const res = await post();
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
      expect(body.errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
      expect(body.errors[0]!.extensions["http"]).toBeUndefined();
    }
  });

  it("CORS: allowed origins get the same headers on every response (GraphQL GET, 413, /healthz, preflight); others get none", async () => {
    const probes: Array<[string, RequestInit, string]> = [
      ["GET healthz", { method: "GET" }, "/healthz"],
      ["GET graphql", { method: "GET", headers: { "x-graphql-yoga-csrf": "1" } }, "/graphql?query=%7BserverTime%7D"],
      ["POST 413", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(70 * 1024) }, "/graphql"],
      ["preflight", { method: "OPTIONS", headers: { "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } }, "/graphql"],
    ];
    for (const [name, init, path] of probes) {
      for (const origin of [ALLOWED, OTHER]) {
        const res = await fetch(`${fast.server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), origin } });
        const allow = res.headers.get("access-control-allow-origin");
        expect({ name, origin, allow }).toEqual({ name, origin, allow: origin === ALLOWED ? ALLOWED : null });
        expect(res.headers.get("vary")).toContain("Origin");
        if (name === "preflight") {
          expect(res.status).toBe(204);
          if (origin === ALLOWED) expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
        }
        if (name !== "preflight") expect(res.headers.get("cache-control")).toBe("no-store");
      }
    }
  });

  it("development allows any origin; production allows none until CORS_ORIGINS is set", async () => {
    const dev = await startTestServer();
    const prod = await startTestServer({ env: { NODE_ENV: "production" } });
    try {
      const probe = (t: TestServer) => fetch(`${t.server.url}/healthz`, { headers: { origin: OTHER } }).then((r) => r.headers.get("access-control-allow-origin"));
      expect(await probe(dev)).toBe("*");
      expect(await probe(prod)).toBeNull();
    } finally {
      await Promise.all([dev.stop(), prod.stop()]);
    }
  });

  it("graphql-ws error payloads carry no extensions.http", async () => {
    const t = await startTestServer({ env: { ISSUE_RATE_LIMIT_PER_MINUTE: "1" } });
    try {
      const client = await t.ws("frank");
      const first = subscribe<RenewedResult>(client, RENEWED, { roomId: "ws-http-1" });
      await first.next();
      const second = subscribe<RenewedResult>(client, RENEWED, { roomId: "ws-http-2" });
      const extensions = (await firstError(second))?.extensions ?? {};
      expect(extensions["code"]).toBe("RATE_LIMITED");
      expect(extensions["http"]).toBeUndefined();
    } finally {
      await t.stop();
    }
  });
});
