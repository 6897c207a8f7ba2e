import { randomBytes } from "node:crypto";
import { assertAppId, InvalidArgumentError, SECRET_BYTES } from "../token/index.js";
import { LOG_LEVELS, type LogLevel } from "../log/logger.js";
import type { Env } from "./env.js";

/** A JSON Web Key Set as read from a file (validated to have a `keys` array). */
export interface JsonWebKeySet {
  readonly keys: ReadonlyArray<Record<string, unknown>>;
}

/** How app users' JWTs are verified. */
export type JwtKeySource =
  | { readonly kind: "secret"; readonly secret: string }
  | { readonly kind: "jwks-file"; readonly jwks: JsonWebKeySet }
  | { readonly kind: "jwks-url"; readonly url: string };

/** Authentication settings. */
export interface AuthConfig {
  readonly keys: JwtKeySource;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** JWT claim holding the ZEGO userId; default `sub`. */
  readonly userIdClaim: string;
  /** Accepted `x-api-key` values for game servers. */
  readonly serviceApiKeys: readonly string[];
}

/** Credentials generated for a development start; printed by `npm start`, never used in production. */
export interface DevCredentials {
  /** Set when the JWT secret was generated. */
  readonly jwtSecret?: string;
  /** Set when the service key was generated. */
  readonly serviceApiKey?: string;
  readonly generatedServerSecret: boolean;
}

/** The validated, frozen configuration (DESIGN §4). */
export interface Config {
  readonly production: boolean;
  readonly appId: number;
  readonly serverSecret: string;
  readonly host: string;
  readonly port: number;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly tokenTtlSeconds: number;
  readonly tokenMaxTtlSeconds: number;
  readonly renewLeadSeconds: number;
  readonly renewJitterSeconds: number;
  readonly defaultCanPublish: boolean;
  readonly auth: AuthConfig;
  readonly logLevel: LogLevel;
  /** issueToken calls allowed per user per minute. */
  readonly issueRateLimitPerMinute: number;
  /** Failed authentications allowed per client IP per minute before it is refused. */
  readonly authFailureLimitPerMinute: number;
  /** Set when development defaults were generated. */
  readonly dev: DevCredentials | undefined;
}

/** A configuration variable is missing or invalid. The message names it and never echoes its value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID" as const;
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

/** What {@link loadConfig} may read besides the environment. */
export interface LoadConfigOptions {
  readonly readFile?: (path: string) => string;
  /** Random bytes for generated development secrets. */
  readonly randomBytes?: (size: number) => Buffer;
}

/** The smallest renewal lead: the ZEGO SDK warns 30 s before expiry, so we renew earlier. */
export const MIN_RENEW_LEAD_SECONDS = 31;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be an integer from ${min} to ${max}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(name, "must be true or false");
}

function fileText(name: string, path: string, options: LoadConfigOptions): string {
  if (options.readFile === undefined) throw new ConfigError(name, "files cannot be read here");
  try {
    return options.readFile(path);
  } catch {
    throw new ConfigError(name, "file could not be read");
  }
}

function secretOf(env: Env, production: boolean, options: LoadConfigOptions, random: (n: number) => Buffer): { secret: string; generated: boolean } {
  let secret = str(env, "ZEGO_SERVER_SECRET");
  let source = "ZEGO_SERVER_SECRET";
  const file = str(env, "ZEGO_SERVER_SECRET_FILE");
  if (secret !== undefined && file !== undefined) throw new ConfigError("ZEGO_SERVER_SECRET_FILE", "set either it or ZEGO_SERVER_SECRET, not both");
  if (file !== undefined) {
    secret = fileText("ZEGO_SERVER_SECRET_FILE", file, options).trim();
    source = "ZEGO_SERVER_SECRET_FILE";
  }
  if (secret === undefined) {
    if (production) throw new ConfigError("ZEGO_SERVER_SECRET", "is required in production (or ZEGO_SERVER_SECRET_FILE)");
    return { secret: random(16).toString("hex"), generated: true };
  }
  if (Buffer.byteLength(secret, "utf8") !== SECRET_BYTES) throw new ConfigError(source, `must be exactly ${SECRET_BYTES} bytes`);
  return { secret, generated: false };
}

function authOf(env: Env, production: boolean, options: LoadConfigOptions, random: (n: number) => Buffer): { auth: AuthConfig; jwtSecret?: string; apiKey?: string } {
  const secret = str(env, "AUTH_JWT_SECRET");
  const jwksFile = str(env, "AUTH_JWKS_FILE");
  const jwksUrl = str(env, "AUTH_JWKS_URL");
  if ([secret, jwksFile, jwksUrl].filter((v) => v !== undefined).length > 1) {
    throw new ConfigError("AUTH_JWT_SECRET", "set only one of AUTH_JWT_SECRET, AUTH_JWKS_FILE and AUTH_JWKS_URL");
  }
  let keys: JwtKeySource;
  let jwtSecret: string | undefined;
  if (secret !== undefined) {
    if (Buffer.byteLength(secret, "utf8") < 32) throw new ConfigError("AUTH_JWT_SECRET", "must be at least 32 bytes");
    keys = { kind: "secret", secret };
  } else if (jwksFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fileText("AUTH_JWKS_FILE", jwksFile, options));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError("AUTH_JWKS_FILE", "is not JSON");
    }
    const list = typeof parsed === "object" && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(list) || list.length === 0 || !list.every((k) => typeof k === "object" && k !== null)) {
      throw new ConfigError("AUTH_JWKS_FILE", "must be a JWK set with a non-empty keys array");
    }
    keys = { kind: "jwks-file", jwks: { keys: list as Array<Record<string, unknown>> } };
  } else if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError("AUTH_JWKS_URL", "must be a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError("AUTH_JWKS_URL", "must be an http(s) URL");
    keys = { kind: "jwks-url", url: url.toString() };
  } else {
    if (production) throw new ConfigError("AUTH_JWT_SECRET", "is required in production (or AUTH_JWKS_FILE / AUTH_JWKS_URL)");
    jwtSecret = random(32).toString("base64url");
    keys = { kind: "secret", secret: jwtSecret };
  }

  const claim = str(env, "AUTH_USER_ID_CLAIM") ?? "sub";
  let serviceApiKeys = (str(env, "SERVICE_API_KEYS") ?? "").split(",").map((k) => k.trim()).filter((k) => k !== "");
  let apiKey: string | undefined;
  if (serviceApiKeys.length === 0) {
    if (production) throw new ConfigError("SERVICE_API_KEYS", "is required in production");
    apiKey = `dev-${random(24).toString("base64url")}`;
    serviceApiKeys = [apiKey];
  }
  if (serviceApiKeys.some((k) => k.length < 16)) throw new ConfigError("SERVICE_API_KEYS", "every key must be at least 16 characters");
  const auth: AuthConfig = Object.freeze({
    keys: Object.freeze(keys),
    issuer: str(env, "AUTH_JWT_ISSUER"),
    audience: str(env, "AUTH_JWT_AUDIENCE"),
    userIdClaim: claim,
    serviceApiKeys: Object.freeze(serviceApiKeys),
  });
  return { auth, ...(jwtSecret === undefined ? {} : { jwtSecret }), ...(apiKey === undefined ? {} : { apiKey }) };
}

/**
 * Validates the environment once into a frozen {@link Config}. Outside production, missing credentials
 * are generated (see `dev`); with `NODE_ENV=production` every required variable must be set.
 * Throws {@link ConfigError} naming the variable at fault.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const random = options.randomBytes ?? randomBytes;
  const production = str(env, "NODE_ENV") === "production";

  const rawAppId = str(env, "ZEGO_APP_ID");
  let appId = 1;
  if (rawAppId === undefined) {
    if (production) throw new ConfigError("ZEGO_APP_ID", "is required in production");
  } else {
    try {
      appId = assertAppId(/^\d+$/.test(rawAppId) ? Number(rawAppId) : Number.NaN);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new ConfigError("ZEGO_APP_ID", "must be an integer from 1 to 4294967295");
      throw e;
    }
  }
  const { secret, generated } = secretOf(env, production, options, random);
  const { auth, jwtSecret, apiKey } = authOf(env, production, options, random);

  const tokenMaxTtlSeconds = int(env, "TOKEN_MAX_TTL_SECONDS", 86400, 120, 30 * 86400);
  const renewLeadSeconds = int(env, "TOKEN_RENEW_LEAD_SECONDS", 60, MIN_RENEW_LEAD_SECONDS, 3600);
  const renewJitterSeconds = int(env, "TOKEN_RENEW_JITTER_SECONDS", 30, 0, 3600);
  const tokenTtlSeconds = int(env, "TOKEN_TTL_SECONDS", 3600, renewLeadSeconds + 30, tokenMaxTtlSeconds);

  const prefix = str(env, "REDIS_PREFIX") ?? "zts";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new ConfigError("REDIS_PREFIX", "must be 1-64 letters, digits or _.:-");
  const redisUrl = str(env, "REDIS_URL");
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError("REDIS_URL", "must start with redis:// or rediss://");

  const logLevel = (str(env, "LOG_LEVEL") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);

  const dev: DevCredentials | undefined =
    jwtSecret !== undefined || apiKey !== undefined || generated
      ? Object.freeze({
          generatedServerSecret: generated,
          ...(jwtSecret === undefined ? {} : { jwtSecret }),
          ...(apiKey === undefined ? {} : { serviceApiKey: apiKey }),
        })
      : undefined;

  return Object.freeze({
    production,
    appId,
    serverSecret: secret,
    host: str(env, "HOST") ?? (production ? "0.0.0.0" : "127.0.0.1"),
    port: int(env, "PORT", 4000, 0, 65535),
    redisUrl,
    redisPrefix: prefix,
    tokenTtlSeconds,
    tokenMaxTtlSeconds,
    renewLeadSeconds,
    renewJitterSeconds,
    defaultCanPublish: bool(env, "DEFAULT_CAN_PUBLISH", false),
    auth,
    logLevel,
    issueRateLimitPerMinute: int(env, "ISSUE_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000),
    authFailureLimitPerMinute: int(env, "AUTH_FAILURE_LIMIT_PER_MINUTE", 20, 1, 1_000_000),
    dev,
  });
}
