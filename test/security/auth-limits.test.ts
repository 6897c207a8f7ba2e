import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { createManualClock } from "../../src/clock/clock.js";
import { DEFAULT_VERIFICATION_PACING } from "../../src/limits/address-verifications.js";
import { createLogger } from "../../src/log/logger.js";
import { ISSUE } from "../service/ops.js";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";

let t: TestServer | undefined;
const idps: Server[] = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const s of idps.splice(0)) s.close();
});

const VIEWER = JSON.stringify({ query: "{ viewer { userId kind } }" });
const ISSUE_BODY = JSON.stringify({ query: ISSUE, variables: { roomId: "nat" } });

async function viewer(headers: Record<string, string>): Promise<{ status: number; code: string | undefined; userId: string | undefined }> {
  const res = await fetch(t!.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: VIEWER });
  const body = (await res.json()) as { data?: { viewer: { userId: string } } | null; errors?: Array<{ extensions?: { code?: string } }> };
  return { status: res.status, code: body.errors?.[0]?.extensions?.code, userId: body.data?.viewer.userId };
}

const failures = async () => {
  const text = await (await fetch(`${t!.server.url}/metrics`)).text();
  return Number(/^zts_auth_failures_total\{transport="http"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

/** An identity provider whose JWKS answers only after `delayMs`, and RS256 JWTs it signs. */
async function startSlowJwks(delayMs: number): Promise<{ url: string; jwt(userId: string): Promise<string> }> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] });
  const server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(jwks), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  idps.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    jwt: (userId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setSubject(userId)
        .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
        .sign(privateKey),
  };
}

const forged = (i: number) => signUserJwt({ secret: "f".repeat(40), userId: `mallory${i}`, ttlSeconds: 600, nowMs: Date.now() });

describe("the per-IP auth-failure limit", () => {
  it("counts failures, not verifications: 300 players behind one address, each with a fresh valid JWT, all get tokens", async () => {
    // Verifications overlap for as long as the identity provider's keys take to arrive (a cold start).
    const idp = await startSlowJwks(300);
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20", AUTH_JWT_SECRET: "", AUTH_JWKS_URL: idp.url } });
    const jwts = await Promise.all(Array.from({ length: 300 }, (_, i) => idp.jwt(`nat${i}`)));
    const answers = await Promise.all(
      jwts.map(async (jwt) => {
        const res = await fetch(t!.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` }, body: ISSUE_BODY });
        return { status: res.status, body: (await res.json()) as { data?: { issueToken: { token: string } } } };
      }),
    );
    expect(answers.filter((a) => a.status === 200 && a.body.data?.issueToken.token.startsWith("04") === true)).toHaveLength(300);
    expect(await failures()).toBe(0);
  });

  it("300 fresh valid JWTs over graphql-ws and 60 over SSE, all at once from one address, are all accepted", async () => {
    const idp = await startSlowJwks(300);
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20", AUTH_JWT_SECRET: "", AUTH_JWKS_URL: idp.url } });
    const clients = await Promise.all(Array.from({ length: 300 }, async (_, i) => t!.ws(undefined, { connectionParams: { authorization: `Bearer ${await idp.jwt(`wsnat${i}`)}` } })));
    const viewers = await Promise.all(
      clients.map(
        (c) =>
          new Promise<unknown>((resolve, reject) => {
            c.subscribe({ query: "{ viewer { userId } }" }, { next: (v) => resolve(v), error: reject, complete: () => undefined });
          }),
      ),
    );
    expect(viewers.filter((v) => (v as { data?: { viewer?: { userId?: string } } }).data?.viewer?.userId?.startsWith("wsnat") === true)).toHaveLength(300);
    const controller = new AbortController();
    try {
      const firsts = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const res = await fetch(t!.url, {
            method: "POST",
            signal: controller.signal,
            headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${await idp.jwt(`ssenat${i}`)}` },
            body: JSON.stringify({ query: "subscription { tokenRenewed(roomId: \"nat\") { reason } }" }),
          });
          const reader = res.body!.getReader();
          let text = "";
          while (!text.includes("tokenRenewed")) {
            const { value, done } = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
          }
          return text;
        }),
      );
      expect(firsts.filter((f) => f.includes("INITIAL"))).toHaveLength(60);
    } finally {
      controller.abort();
    }
    expect(await failures()).toBe(0);
  });

  it("a burst of 300 bad JWTs is mostly refused unverified, and a valid player right after it gets in", async () => {
    const clock = createManualClock(Date.now());
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20" }, clock });
    const jwts = await Promise.all(Array.from({ length: 300 }, (_, i) => forged(i)));
    const answers = await Promise.all(jwts.map((j) => viewer({ authorization: `Bearer ${j}` })));
    const verified = answers.filter((a) => a.code === "UNAUTHENTICATED").length;
    // The limit, plus the verifications in flight when it was crossed, plus one probe.
    expect(verified).toBeGreaterThanOrEqual(20);
    expect(verified).toBeLessThanOrEqual(20 + DEFAULT_VERIFICATION_PACING.concurrency + 1);
    expect(answers.filter((a) => a.code === "RATE_LIMITED")).toHaveLength(300 - verified);
    // Still over the limit: a bad JWT is refused before verification, and told to retry within a second or so.
    const refused = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await forged(1000)}` }, body: VIEWER });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(1);
    // A player with a fresh, valid JWT comes a second later: verified (the probe), not locked out for the window.
    clock.advance(DEFAULT_VERIFICATION_PACING.probeIntervalMs);
    expect(await viewer({ authorization: `Bearer ${await t.jwt("latecomer")}` })).toMatchObject({ status: 200, userId: "latecomer" });
    // Over graphql-ws too (another second later).
    clock.advance(DEFAULT_VERIFICATION_PACING.probeIntervalMs);
    const client = await t.ws("wslatecomer");
    const seen = await new Promise<unknown>((resolve, reject) => client.subscribe({ query: "{ viewer { userId } }" }, { next: resolve, error: reject, complete: () => undefined }));
    expect(seen).toEqual({ data: { viewer: { userId: "wslatecomer" } } });
  });

  it("never refuses a valid API key or an already verified JWT from a locked-out IP; valid JWTs never count", async () => {
    // A manual clock: the probe (one verification a second past the limit) is not given out again mid-test.
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "5" }, clock: createManualClock(Date.now()) });
    const alice = `Bearer ${await t.jwt("alice")}`;
    // Valid JWTs never count: many of them do not lock anyone out.
    for (let i = 0; i < 10; i++) expect((await viewer({ authorization: `Bearer ${await t.jwt(`user${i}`)}` })).userId).toBe(`user${i}`);
    expect((await viewer({ authorization: alice })).userId).toBe("alice");
    for (let i = 0; i < 8; i++) await viewer({ authorization: `Bearer ${await forged(i)}` });
    expect((await viewer({ authorization: `Bearer ${await forged(99)}` })).code).toBe("RATE_LIMITED");
    expect((await viewer({ "x-api-key": "wrong-key-wrong-key-wrong" })).code).toBe("RATE_LIMITED");
    expect(await viewer({ "x-api-key": TEST_SECRETS.apiKey })).toMatchObject({ status: 200, userId: "service" });
    expect(await viewer({ authorization: alice })).toMatchObject({ status: 200, userId: "alice" });
  });

  it("counts X-Forwarded-For clients only behind TRUSTED_PROXIES", async () => {
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "3", TRUSTED_PROXIES: "127.0.0.0/8,::1" }, clock: createManualClock(Date.now()) });
    for (let i = 0; i < 4; i++) await viewer({ authorization: `Bearer ${await forged(i)}`, "x-forwarded-for": "203.0.113.5" });
    expect((await viewer({ authorization: `Bearer ${await forged(9)}`, "x-forwarded-for": "203.0.113.5" })).code).toBe("RATE_LIMITED");
    // Another client behind the same proxy is not locked out, nor a client who adds a spoofed hop on the left.
    expect((await viewer({ authorization: `Bearer ${await forged(10)}`, "x-forwarded-for": "203.0.113.6" })).code).toBe("UNAUTHENTICATED");
    expect((await viewer({ authorization: `Bearer ${await forged(11)}`, "x-forwarded-for": "203.0.113.5, 203.0.113.7" })).code).toBe("UNAUTHENTICATED");
    await t.stop();

    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "3" }, clock: createManualClock(Date.now()) });
    // Without trusted proxies the header is ignored: rotating it does not escape the limit (the 4th is the probe).
    for (let i = 0; i < 4; i++) await viewer({ authorization: `Bearer ${await forged(i)}`, "x-forwarded-for": `198.51.100.${i}` });
    expect((await viewer({ authorization: `Bearer ${await forged(5)}`, "x-forwarded-for": "198.51.100.99" })).code).toBe("RATE_LIMITED");
  });
});

describe("key rotation", () => {
  it("accepts JWTs signed with any configured secret and logs API keys by name only", async () => {
    const lines: string[] = [];
    const second = "second-secret-second-secret-second";
    const key = "rotating-key-0123456789";
    t = await startTestServer({
      env: { AUTH_JWT_SECRET: `${TEST_SECRETS.jwtSecret},${second}`, SERVICE_API_KEYS: `matchmaker:${key}` },
      logger: createLogger({ level: "info", write: (l) => lines.push(l) }),
    });
    const old = await signUserJwt({ secret: second, userId: "carol", ttlSeconds: 600, nowMs: Date.now() });
    expect((await viewer({ authorization: `Bearer ${old}` })).userId).toBe("carol");
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ query: 'mutation { grantPublish(roomId: "rot", userId: "carol") { version } }' }),
    });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(metrics).toMatch(/zts_service_authentications_total\{key="matchmaker",transport="http"\} 1/);
    expect(lines.some((l) => l.includes('"keyName":"matchmaker"') && l.includes("room changed"))).toBe(true);
    expect(lines.join("\n") + metrics).not.toContain(key);
  });
});
