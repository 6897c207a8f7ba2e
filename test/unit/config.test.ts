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
    expect(c).toMatchObject({ production: false, appId: 1, host: "127.0.0.1", port: 4000, redisPrefix: "zts", tokenTtlSeconds: 3600, tokenMaxTtlSeconds: 86400, renewLeadSeconds: 60, renewJitterSeconds: 30, defaultCanPublish: false });
    expect(Buffer.byteLength(c.serverSecret)).toBe(32);
    expect(c.dev?.generatedServerSecret).toBe(true);
    expect(c.dev?.serviceApiKey).toMatch(/^dev-/);
    expect(c.auth.serviceApiKeys).toEqual([c.dev?.serviceApiKey]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(loadConfig({}).serverSecret).not.toBe(c.serverSecret);
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
