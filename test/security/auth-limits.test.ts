import { afterEach, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { createLogger } from "../../src/log/logger.js";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const VIEWER = JSON.stringify({ query: "{ viewer { userId kind } }" });

async function viewer(headers: Record<string, string>): Promise<{ status: number; code: string | undefined; userId: string | undefined }> {
  const res = await fetch(t!.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: VIEWER });
  const body = (await res.json()) as { data?: { viewer: { userId: string } } | null; errors?: Array<{ extensions?: { code?: string } }> };
  return { status: res.status, code: body.errors?.[0]?.extensions?.code, userId: body.data?.viewer.userId };
}

const failures = async () => {
  const text = await (await fetch(`${t!.server.url}/metrics`)).text();
  return Number(/^zts_auth_failures_total\{transport="http"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

const forged = (i: number) => signUserJwt({ secret: "f".repeat(40), userId: `mallory${i}`, ttlSeconds: 600, nowMs: Date.now() });

describe("the per-IP auth-failure limit", () => {
  it("reserves before verifying: of 300 concurrent bad JWTs at most the limit are verified, the rest refused unverified", async () => {
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20" } });
    const jwts = await Promise.all(Array.from({ length: 300 }, (_, i) => forged(i)));
    const answers = await Promise.all(jwts.map((j) => viewer({ authorization: `Bearer ${j}` })));
    expect(answers.filter((a) => a.code === "UNAUTHENTICATED")).toHaveLength(20);
    expect(answers.filter((a) => a.code === "RATE_LIMITED")).toHaveLength(280);
    expect(await failures()).toBe(20);
  });

  it("never refuses a valid API key or an already verified JWT from a locked-out IP; valid JWTs give their point back", async () => {
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "5" } });
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
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "3", TRUSTED_PROXIES: "127.0.0.0/8,::1" } });
    for (let i = 0; i < 4; i++) await viewer({ authorization: `Bearer ${await forged(i)}`, "x-forwarded-for": "203.0.113.5" });
    expect((await viewer({ authorization: `Bearer ${await forged(9)}`, "x-forwarded-for": "203.0.113.5" })).code).toBe("RATE_LIMITED");
    // Another client behind the same proxy is not locked out, nor a client who adds a spoofed hop on the left.
    expect((await viewer({ authorization: `Bearer ${await forged(10)}`, "x-forwarded-for": "203.0.113.6" })).code).toBe("UNAUTHENTICATED");
    expect((await viewer({ authorization: `Bearer ${await forged(11)}`, "x-forwarded-for": "203.0.113.5, 203.0.113.7" })).code).toBe("UNAUTHENTICATED");
    await t.stop();

    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "3" } });
    // Without trusted proxies the header is ignored: rotating it does not escape the limit.
    for (let i = 0; i < 3; i++) await viewer({ authorization: `Bearer ${await forged(i)}`, "x-forwarded-for": `198.51.100.${i}` });
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
