import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { subscribe } from "../helpers/server.js";
import { runTs, type Child } from "../helpers/process.js";

let child: Child | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

describe("npm start with no environment", () => {
  it("prints working credentials and an example, and exits 0 within 10 s of SIGTERM", async () => {
    child = runTs("src/cli/start.ts", { PORT: "0" });
    const [, url] = await child.waitFor(/GraphQL:\s+(\S+)/);
    const [, alice] = await child.waitFor(/JWT alice:\s+(\S+)/);
    const [, key] = await child.waitFor(/Service key:\s+(\S+)/);
    expect(child.stdout()).toContain("curl");
    expect(child.stderr()).toMatch(/development mode/);

    const post = (query: string, headers: Record<string, string>) =>
      fetch(url!, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) }).then((r) => r.json() as Promise<{ data?: Record<string, { canPublish?: boolean; version?: number }>; errors?: unknown }>);

    const ws = createClient({ url: url!.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice}` }, retryAttempts: 0 });
    const sub = subscribe<{ data?: { tokenRenewed: { reason: string; token: { canPublish: boolean } } } }>(ws, 'subscription { tokenRenewed(roomId: "room1") { reason token { canPublish } } }');
    expect((await sub.next(10_000)).data!.tokenRenewed.reason).toBe("INITIAL");
    const issued = await post('mutation { issueToken(roomId: "room1") { token canPublish } }', { authorization: `Bearer ${alice}` });
    expect(issued.errors).toBeUndefined();
    const granted = await post('mutation { grantPublish(roomId: "room1", userId: "alice", streamIds: ["room1_alice"]) { version } }', { "x-api-key": key! });
    expect(granted.data!["grantPublish"]!.version).toBe(1);
    const push = (await sub.next(10_000)).data!.tokenRenewed;
    expect(push).toEqual({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true } });

    const started = Date.now();
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const { error } = await sub.done;
    expect((error as { code?: number }).code).toBe(1001);
    await ws.dispose();
  });
});

describe("NODE_ENV=production", () => {
  const full = {
    NODE_ENV: "production",
    ZEGO_APP_ID: "12345",
    ZEGO_SERVER_SECRET: "prodSECRETprodSECRETprodSECRET32",
    AUTH_JWT_SECRET: "prodJWTsecretprodJWTsecretprodJWT",
    SERVICE_API_KEYS: "prod-service-key-0001",
    PORT: "0",
    HOST: "127.0.0.1",
  };

  for (const missing of ["ZEGO_APP_ID", "ZEGO_SERVER_SECRET", "AUTH_JWT_SECRET", "SERVICE_API_KEYS"] as const) {
    it(`exits 1 naming ${missing} when it is missing`, async () => {
      const env: Record<string, string> = { ...full };
      delete env[missing];
      child = runTs("src/cli/start.ts", env);
      expect(await child.exited).toBe(1);
      expect(child.stderr()).toContain(missing);
      for (const secret of [full.ZEGO_SERVER_SECRET, full.AUTH_JWT_SECRET, full.SERVICE_API_KEYS]) expect(child.stderr() + child.stdout()).not.toContain(secret);
    });
  }

  it("exits 1 naming an invalid secret without echoing it", async () => {
    child = runTs("src/cli/start.ts", { ...full, ZEGO_SERVER_SECRET: "too-short-secret-value" });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toContain("ZEGO_SERVER_SECRET");
    expect(child.stderr()).not.toContain("too-short-secret-value");
  });

  it("starts with everything set, prints no credentials and serves on the given port", async () => {
    child = runTs("src/cli/start.ts", full);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/"msg":"listening"/.test(child!.stderr())) {
          clearInterval(timer);
          resolve();
        }
        if (child!.proc.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(child!.stderr()));
        }
      }, 25);
    });
    expect(child.stdout()).not.toContain("JWT alice");
    for (const secret of [full.ZEGO_SERVER_SECRET, full.AUTH_JWT_SECRET, full.SERVICE_API_KEYS]) expect(child.stderr() + child.stdout()).not.toContain(secret);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});
