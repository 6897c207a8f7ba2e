import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function post(url: string, jwt: string) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` }, body: JSON.stringify({ query: "{ viewer { userId kind } }" }) });
  return (await res.json()) as { data?: { viewer: { userId: string } } | null; errors?: Array<{ extensions?: { code?: string } }> };
}

describe("user authentication settings", () => {
  it("AUTH_JWKS_FILE with issuer, audience and a custom userId claim", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    const dir = mkdtempSync(join(tmpdir(), "zts-jwks-"));
    const file = join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [jwk] }));
    t = await startTestServer({
      env: { AUTH_JWT_SECRET: "", AUTH_JWKS_FILE: file, AUTH_JWT_ISSUER: "https://login.example", AUTH_JWT_AUDIENCE: "zego-tokens", AUTH_USER_ID_CLAIM: "zego_uid" },
    });
    const sign = (claims: Record<string, unknown>, iss = "https://login.example", aud = "zego-tokens") =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(iss).setAudience(aud).setExpirationTime("10m").sign(privateKey);

    const ok = await post(t.url, await sign({ zego_uid: "player_7", sub: "someone-else" }));
    expect(ok.data?.viewer).toEqual({ userId: "player_7", kind: "USER" });
    for (const bad of [await sign({ zego_uid: "player_7" }, "https://evil.example"), await sign({ zego_uid: "player_7" }, undefined, "other-aud"), await sign({ sub: "no-claim" }), await sign({ zego_uid: "bad id!" })]) {
      expect((await post(t.url, bad)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    // An HS256 token is refused when keys come from a JWKS.
    expect((await post(t.url, await t.jwt("player_7"))).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("a JWT without exp is refused", async () => {
    t = await startTestServer();
    const noExp = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("JWTsecretJWTsecretJWTsecretJWTsecret"));
    expect((await post(t.url, noExp)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("connection_init", () => {
  it("a socket that never sends it is closed after 3 s (4408)", async () => {
    t = await startTestServer();
    const raw = new WebSocket(t.wsUrl, "graphql-transport-ws");
    const started = Date.now();
    const code = await new Promise<number>((resolve) => raw.on("close", (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });
});
