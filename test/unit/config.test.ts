import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { thrown } from "../helpers/errors.js";

const variableOf = (fn: () => unknown) => {
  const e = thrown(fn, ConfigError);
  return e === "NO_ERROR" ? e : e.variable;
};

describe("loadConfig", () => {
  it("generates development credentials with no environment, and freezes the result", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ production: false, appId: 1, host: "127.0.0.1", port: 4000, redisPrefix: "zts", tokenTtlSeconds: 600, tokenMaxTtlSeconds: 86400, renewLeadSeconds: 60, renewJitterSeconds: 30, defaultCanPublish: false });
    expect(Buffer.byteLength(c.serverSecret)).toBe(32);
    expect(c.dev?.generatedServerSecret).toBe(true);
    expect(c.dev?.serviceApiKey).toMatch(/^dev-/);
    expect(c.auth.serviceApiKeys).toEqual([{ name: "dev", key: c.dev?.serviceApiKey }]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(loadConfig({}).serverSecret).not.toBe(c.serverSecret);
  });

  it("keeps ROOM_HISTORY_LENGTH changes per room (default 1000, 1 to 10000)", () => {
    expect(loadConfig({}).roomHistoryLength).toBe(1000);
    expect(loadConfig({ ROOM_HISTORY_LENGTH: "25" }).roomHistoryLength).toBe(25);
    for (const bad of ["0", "10001", "many"]) expect(variableOf(() => loadConfig({ ROOM_HISTORY_LENGTH: bad }))).toBe("ROOM_HISTORY_LENGTH");
  });

  it("requires every credential in production and names the missing one", () => {
    const full = { NODE_ENV: "production", ZEGO_APP_ID: "5", ZEGO_SERVER_SECRET: "x".repeat(32), AUTH_JWT_SECRET: "j".repeat(32), SERVICE_API_KEYS: "k".repeat(16) };
    expect(loadConfig(full)).toMatchObject({ production: true, host: "0.0.0.0", dev: undefined });
    for (const name of ["ZEGO_APP_ID", "ZEGO_SERVER_SECRET", "AUTH_JWT_SECRET", "SERVICE_API_KEYS"] as const) {
      const env: Record<string, string> = { ...full };
      delete env[name];
      expect(variableOf(() => loadConfig(env))).toBe(name);
    }
  });

  it("rejects invalid values, naming the variable and never echoing it", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ZEGO_APP_ID: "0" }, "ZEGO_APP_ID"],
      [{ ZEGO_APP_ID: "abc" }, "ZEGO_APP_ID"],
      [{ ZEGO_SERVER_SECRET: "short-secret-value" }, "ZEGO_SERVER_SECRET"],
      [{ PORT: "70000" }, "PORT"],
      [{ TOKEN_RENEW_LEAD_SECONDS: "30" }, "TOKEN_RENEW_LEAD_SECONDS"],
      [{ TOKEN_TTL_SECONDS: "80" }, "TOKEN_TTL_SECONDS"],
      [{ TOKEN_TTL_SECONDS: "90000" }, "TOKEN_TTL_SECONDS"],
      [{ DEFAULT_CAN_PUBLISH: "maybe" }, "DEFAULT_CAN_PUBLISH"],
      [{ REDIS_URL: "http://x" }, "REDIS_URL"],
      [{ REDIS_PREFIX: "has space" }, "REDIS_PREFIX"],
      [{ AUTH_JWT_SECRET: "short" }, "AUTH_JWT_SECRET"],
      [{ AUTH_JWT_SECRET: "j".repeat(32), AUTH_JWKS_URL: "https://x/jwks" }, "AUTH_JWT_SECRET"],
      [{ SERVICE_API_KEYS: "tiny" }, "SERVICE_API_KEYS"],
      [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    ];
    for (const [env, name] of cases) {
      let message = "";
      try {
        loadConfig(env);
      } catch (e) {
        message = (e as Error).message;
        expect((e as ConfigError).variable).toBe(name);
      }
      expect(message).not.toBe("");
      for (const value of Object.values(env)) if (value.length > 4) expect(message).not.toContain(value);
    }
  });

  it("reads the secret and a JWKS from files", () => {
    const files: Record<string, string> = { "/s": `${"z".repeat(32)}\n`, "/jwks": JSON.stringify({ keys: [{ kty: "EC" }] }) };
    const c = loadConfig({ ZEGO_SERVER_SECRET_FILE: "/s", AUTH_JWKS_FILE: "/jwks" }, { readFile: (p) => files[p] ?? (() => { throw new Error("no"); })() });
    expect(c.serverSecret).toBe("z".repeat(32));
    expect(c.auth.keys.kind).toBe("jwks-file");
    expect(variableOf(() => loadConfig({ ZEGO_SERVER_SECRET_FILE: "/missing" }, { readFile: () => { throw new Error("ENOENT"); } }))).toBe("ZEGO_SERVER_SECRET_FILE");
  });
});

describe("loadConfig, every problem at once", () => {
  const full = { NODE_ENV: "production", ZEGO_APP_ID: "5", ZEGO_SERVER_SECRET: "x".repeat(32), AUTH_JWT_SECRET: "j".repeat(32), SERVICE_API_KEYS: "k".repeat(16) };

  it("reports every missing and invalid variable in one error", () => {
    const e = thrown(() => loadConfig({ NODE_ENV: "production", PORT: "99999", LOG_LEVEL: "loud" }), ConfigError);
    expect(e).not.toBe("NO_ERROR");
    if (e === "NO_ERROR") return;
    expect(e.problems.map((p) => p.variable).sort()).toEqual(["AUTH_JWT_SECRET", "LOG_LEVEL", "PORT", "SERVICE_API_KEYS", "ZEGO_APP_ID", "ZEGO_SERVER_SECRET"]);
    for (const name of ["ZEGO_APP_ID", "PORT", "LOG_LEVEL"]) expect(e.message).toContain(name);
  });

  it("treats any NODE_ENV but unset or exactly 'development' as production", () => {
    expect(loadConfig({ NODE_ENV: "development" }).production).toBe(false);
    for (const value of ["Production", "prod", "staging", "DEVELOPMENT"]) {
      expect(variableOf(() => loadConfig({ NODE_ENV: value }))).toBe("ZEGO_APP_ID");
      expect(loadConfig({ ...full, NODE_ENV: value }).production).toBe(true);
    }
  });

  it("has production defaults: no CORS, no console, no basic tokens", () => {
    const c = loadConfig(full);
    expect(c).toMatchObject({ corsOrigins: [], consoleEnabled: false, allowBasicTokens: false, maxSubscriptionsPerUser: 20, maxConnectionsPerIp: 1000, redisWaitReplicas: 0 });
    expect(loadConfig({})).toMatchObject({ corsOrigins: "*", consoleEnabled: true });
  });

  it("parses CORS origins, trusted proxies and Redis targets, refusing two Redis targets", () => {
    const c = loadConfig({ CORS_ORIGINS: "https://a.example, http://localhost:3000", TRUSTED_PROXIES: "10.0.0.0/8,::1" });
    expect(c.corsOrigins).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(c.trustedProxies).toEqual([{ address: "10.0.0.0", prefix: 8, family: "ipv4" }, { address: "::1", prefix: 128, family: "ipv6" }]);
    expect(variableOf(() => loadConfig({ CORS_ORIGINS: "https://a.example/path" }))).toBe("CORS_ORIGINS");
    expect(variableOf(() => loadConfig({ TRUSTED_PROXIES: "10.0.0.0/33" }))).toBe("TRUSTED_PROXIES");
    expect(loadConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000,[::1]:7001" }).redis).toEqual({ kind: "cluster", nodes: [{ host: "127.0.0.1", port: 7000 }, { host: "::1", port: 7001 }] });
    expect(loadConfig({ REDIS_SENTINELS: "s1:26379", REDIS_SENTINEL_NAME: "mymaster" }).redis).toEqual({ kind: "sentinel", sentinels: [{ host: "s1", port: 26379 }], name: "mymaster" });
    const both = thrown(() => loadConfig({ REDIS_URL: "redis://x:6379", REDIS_CLUSTER_NODES: "a:1" }), ConfigError);
    expect(both === "NO_ERROR" ? "" : both.message).toMatch(/REDIS_URL.*REDIS_CLUSTER_NODES/);
    expect(variableOf(() => loadConfig({ REDIS_SENTINELS: "s1:26379" }))).toBe("REDIS_SENTINEL_NAME");
  });

  it("rotates keys: several JWT secrets, named API keys, every secret from a _FILE", () => {
    const files: Record<string, string> = { "/jwt": `${"a".repeat(32)},${"b".repeat(32)}\n`, "/keys": `game-1:${"k".repeat(16)},${"m".repeat(20)}`, "/cb": "callback-secret-0123" };
    const c = loadConfig({ AUTH_JWT_SECRET_FILE: "/jwt", SERVICE_API_KEYS_FILE: "/keys", ZEGO_CALLBACK_SECRET_FILE: "/cb" }, { readFile: (p) => files[p] ?? "" });
    expect(c.auth.keys).toEqual({ kind: "secret", secrets: ["a".repeat(32), "b".repeat(32)] });
    expect(c.auth.serviceApiKeys).toEqual([{ name: "game-1", key: "k".repeat(16) }, { name: expect.stringMatching(/^key-[0-9a-f]{8}$/), key: "m".repeat(20) }]);
    // An unnamed key's name is stable (a hash label, the same wherever the key is listed) and is not the key.
    const alone = loadConfig({ SERVICE_API_KEYS: "m".repeat(20) }).auth.serviceApiKeys[0]?.name;
    expect(alone).toBe(c.auth.serviceApiKeys[1]?.name);
    expect(alone).not.toContain("m".repeat(8));
    expect(c.callbackSecret).toBe("callback-secret-0123");
    // A short callback secret is refused with a clear message, named by where it came from.
    expect(variableOf(() => loadConfig({ ZEGO_CALLBACK_SECRET: "short" }))).toBe("ZEGO_CALLBACK_SECRET");
    expect(variableOf(() => loadConfig({ ZEGO_CALLBACK_SECRET_FILE: "/short" }, { readFile: () => "short" }))).toBe("ZEGO_CALLBACK_SECRET_FILE");
    const short = thrown(() => loadConfig({ ZEGO_CALLBACK_SECRET: "x".repeat(15) }), ConfigError);
    expect(short === "NO_ERROR" ? "" : short.message).toMatch(/at least 16 characters/);
    expect(short === "NO_ERROR" ? "" : short.message).not.toContain("x".repeat(15));
    expect(variableOf(() => loadConfig({ AUTH_JWT_SECRET: "j".repeat(32), AUTH_JWT_SECRET_FILE: "/jwt" }, { readFile: (p) => files[p] ?? "" }))).toBe("AUTH_JWT_SECRET_FILE");
  });
});
