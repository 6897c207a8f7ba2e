import { randomBytes } from "node:crypto";
import { LOG_LEVELS, type LogLevel } from "../log/logger.js";
import { assertAppId, SECRET_BYTES } from "../token/index.js";
import { readAuthConfig, type AuthConfig } from "./auth-config.js";
import { createEnvReader, type ConfigProblem, type EnvReader } from "./env-reader.js";
import type { Env } from "./env.js";
import { isOrigin, parseCidr, parseHostPort, type Cidr, type HostPort } from "./values.js";

export type { AuthConfig, JsonWebKeySet, JwtKeySource, ServiceApiKey } from "./auth-config.js";
export type { ConfigProblem } from "./env-reader.js";
export type { Cidr, HostPort } from "./values.js";

/** Credentials generated for a development start; printed by `npm start`, never used in production. */
export interface DevCredentials {
  /** Set when the JWT secret was generated. */
  readonly jwtSecret?: string;
  /** Set when the service key was generated. */
  readonly serviceApiKey?: string;
  readonly generatedServerSecret: boolean;
}

/** Where shared state lives: one Redis, a Redis Cluster, or a Sentinel-managed primary. */
export type RedisTarget =
  | { readonly kind: "single"; readonly url: string }
  | { readonly kind: "cluster"; readonly nodes: readonly HostPort[] }
  | { readonly kind: "sentinel"; readonly sentinels: readonly HostPort[]; readonly name: string };

/** What to do about a revoked user whose live stream is unknown and whose allow-list was "any". */
export type UnknownStreamPolicy = "kick" | "none";

/** Enforcement of revocations through ZEGO's server API. */
export interface EnforcementConfig {
  readonly enabled: boolean;
  /** Base URL of ZEGO's server API. */
  readonly apiUrl: string;
  /** Adds `IsTest=true` (projects created on or before 2021-11-16). */
  readonly isTest: boolean;
  readonly unknownStream: UnknownStreamPolicy;
  /** Sets ZEGO user ban rules for removed and demoted token holders (the project needs them enabled by ZEGO). */
  readonly userRules: boolean;
}

/** The validated, frozen configuration. */
export interface Config {
  /** False only when NODE_ENV is unset or exactly `development`. */
  readonly production: boolean;
  readonly appId: number;
  readonly serverSecret: string;
  readonly host: string;
  readonly port: number;
  /** Unset: in memory, one instance. */
  readonly redis: RedisTarget | undefined;
  readonly redisPrefix: string;
  /** Replicas that must confirm a room change (`WAIT`) before it is acknowledged. */
  readonly redisWaitReplicas: number;
  readonly tokenTtlSeconds: number;
  readonly tokenMaxTtlSeconds: number;
  readonly renewLeadSeconds: number;
  readonly renewJitterSeconds: number;
  readonly defaultCanPublish: boolean;
  /** Users may get basic tokens (no roomId), which no room rule restricts. */
  readonly allowBasicTokens: boolean;
  readonly auth: AuthConfig;
  readonly logLevel: LogLevel;
  /** Origins browsers may call from: `*` for any, or an exact list (empty: no cross-origin access). */
  readonly corsOrigins: "*" | readonly string[];
  /** Tokens minted at a user's request per user per minute (issueToken and a subscription's first token). */
  readonly issueRateLimitPerMinute: number;
  /** Failed authentications allowed per client IP per minute before it is refused. */
  readonly authFailureLimitPerMinute: number;
  /** Proxies whose `X-Forwarded-For` is believed for the client IP. */
  readonly trustedProxies: readonly Cidr[];
  /** Live `tokenRenewed` subscriptions per user, across WebSocket and SSE. */
  readonly maxSubscriptionsPerUser: number;
  /** Open connections (HTTP, WebSocket, SSE) per client IP. */
  readonly maxConnectionsPerIp: number;
  readonly enforcement: EnforcementConfig;
  /** Enables `POST /zego/callback` (ZEGO's callbacks, signature checked with it). */
  readonly callbackSecret: string | undefined;
  /** Serve the `/assistant` and `/console` pages. */
  readonly consoleEnabled: boolean;
  /** Committed changes kept per room for `roomHistory` (ROOM_HISTORY_LENGTH). */
  readonly roomHistoryLength: number;
  /** Set when development defaults were generated. */
  readonly dev: DevCredentials | undefined;
}

/**
 * The configuration is invalid. `problems` lists every variable at fault; the message names them all
 * and never echoes a value.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID" as const;
  /** The first variable at fault. */
  readonly variable: string;
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join("; "));
    this.problems = problems;
    this.variable = problems[0]?.variable ?? "";
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

/** The default ZEGO server API. */
export const DEFAULT_ZEGO_SERVER_API_URL = "https://rtc-api.zego.im";

function appIdOf(read: EnvReader, production: boolean): number {
  const raw = read.str("ZEGO_APP_ID");
  if (raw === undefined) {
    if (production) read.fail("ZEGO_APP_ID", "is required in production");
    return 1;
  }
  try {
    return assertAppId(/^\d+$/.test(raw) ? Number(raw) : Number.NaN);
  } catch {
    read.fail("ZEGO_APP_ID", "must be an integer from 1 to 4294967295");
    return 1;
  }
}

function serverSecretOf(read: EnvReader, production: boolean, random: (n: number) => Buffer): { secret: string; generated: boolean } {
  const generatedSecret = () => ({ secret: random(16).toString("hex"), generated: true });
  const given = read.secret("ZEGO_SERVER_SECRET");
  if (given === undefined) {
    if (production) read.fail("ZEGO_SERVER_SECRET", "is required in production (or ZEGO_SERVER_SECRET_FILE)");
    return generatedSecret();
  }
  if (Buffer.byteLength(given.value, "utf8") !== SECRET_BYTES) {
    read.fail(given.source, `must be exactly ${SECRET_BYTES} bytes`);
    return generatedSecret();
  }
  return { secret: given.value, generated: false };
}

function hostPorts(read: EnvReader, name: string): HostPort[] {
  const entries = read.list(name) ?? [];
  const parsed = entries.map(parseHostPort);
  if (entries.length === 0 || parsed.some((p) => p === undefined)) {
    read.fail(name, "must be a comma-separated list of host:port");
    return [];
  }
  return parsed as HostPort[];
}

function redisOf(read: EnvReader): RedisTarget | undefined {
  const url = read.secret("REDIS_URL");
  const cluster = read.str("REDIS_CLUSTER_NODES");
  const sentinels = read.str("REDIS_SENTINELS");
  const set = [url === undefined ? undefined : url.source, cluster === undefined ? undefined : "REDIS_CLUSTER_NODES", sentinels === undefined ? undefined : "REDIS_SENTINELS"].filter(
    (v): v is string => v !== undefined,
  );
  if (set.length > 1) {
    read.fail(set[0] as string, `set only one of ${set.join(" and ")}`);
    return undefined;
  }
  if (url !== undefined) {
    if (!/^rediss?:\/\//.test(url.value)) read.fail(url.source, "must start with redis:// or rediss://");
    return { kind: "single", url: url.value };
  }
  if (cluster !== undefined) return { kind: "cluster", nodes: Object.freeze(hostPorts(read, "REDIS_CLUSTER_NODES")) };
  if (sentinels !== undefined) {
    const name = read.str("REDIS_SENTINEL_NAME");
    if (name === undefined) read.fail("REDIS_SENTINEL_NAME", "is required with REDIS_SENTINELS");
    return { kind: "sentinel", sentinels: Object.freeze(hostPorts(read, "REDIS_SENTINELS")), name: name ?? "" };
  }
  if (read.str("REDIS_SENTINEL_NAME") !== undefined) read.fail("REDIS_SENTINEL_NAME", "needs REDIS_SENTINELS");
  return undefined;
}

function corsOf(read: EnvReader, production: boolean): "*" | readonly string[] {
  const entries = read.list("CORS_ORIGINS");
  if (entries === undefined) return production ? Object.freeze([]) : "*";
  if (entries.length === 1 && entries[0] === "*") return "*";
  if (entries.some((o) => !isOrigin(o))) {
    read.fail("CORS_ORIGINS", "must be * or a comma-separated list of origins like https://app.example.com");
    return Object.freeze([]);
  }
  return Object.freeze([...new Set(entries)]);
}

function proxiesOf(read: EnvReader): readonly Cidr[] {
  const entries = read.list("TRUSTED_PROXIES") ?? [];
  const parsed = entries.map(parseCidr);
  if (parsed.some((c) => c === undefined)) {
    read.fail("TRUSTED_PROXIES", "must be a comma-separated list of IP addresses or CIDR blocks");
    return Object.freeze([]);
  }
  return Object.freeze(parsed as Cidr[]);
}

/** Default token lifetime (TOKEN_TTL_SECONDS): ten minutes. */
const DEFAULT_TOKEN_TTL_SECONDS = 600;

/** Shortest ZEGO_CALLBACK_SECRET accepted: a callback signature is only as strong as the secret. */
const MIN_CALLBACK_SECRET_LENGTH = 16;

function callbackSecretOf(read: EnvReader): string | undefined {
  const secret = read.secret("ZEGO_CALLBACK_SECRET");
  if (secret !== undefined && secret.value.length < MIN_CALLBACK_SECRET_LENGTH) {
    read.fail(secret.source, `must be at least ${MIN_CALLBACK_SECRET_LENGTH} characters (copy the CallbackSecret from ZEGO's console)`);
    return undefined;
  }
  return secret?.value;
}

function enforcementOf(read: EnvReader, generatedSecret: boolean): EnforcementConfig {
  const enabled = read.bool("ZEGO_ENFORCE", false);
  if (enabled && generatedSecret) read.fail("ZEGO_ENFORCE", "needs ZEGO_SERVER_SECRET (the real project's secret)");
  const apiUrl = read.str("ZEGO_SERVER_API_URL") ?? DEFAULT_ZEGO_SERVER_API_URL;
  if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) read.fail("ZEGO_SERVER_API_URL", "must be an http(s) URL");
  const unknown = read.str("ZEGO_ENFORCE_UNKNOWN_STREAM") ?? "none";
  if (unknown !== "kick" && unknown !== "none") read.fail("ZEGO_ENFORCE_UNKNOWN_STREAM", "must be kick or none");
  return Object.freeze({
    enabled,
    apiUrl: apiUrl.replace(/\/+$/, ""),
    isTest: read.bool("ZEGO_API_IS_TEST", false),
    unknownStream: unknown === "kick" ? "kick" : "none",
    userRules: read.bool("ZEGO_USER_RULES", true),
  });
}

/**
 * Validates the environment once into a frozen {@link Config}. Development mode (NODE_ENV unset or
 * exactly `development`) generates missing credentials (see `dev`); any other NODE_ENV is production,
 * where every required variable must be set. Throws one {@link ConfigError} listing every problem.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const random = options.randomBytes ?? randomBytes;
  const read = createEnvReader(env, options.readFile === undefined ? {} : { readFile: options.readFile });
  const nodeEnv = read.str("NODE_ENV");
  const production = nodeEnv !== undefined && nodeEnv !== "development";

  const appId = appIdOf(read, production);
  const { secret, generated } = serverSecretOf(read, production, random);
  const { auth, generated: generatedAuth } = readAuthConfig(read, production, random);

  const tokenMaxTtlSeconds = read.int("TOKEN_MAX_TTL_SECONDS", 86400, 120, 30 * 86400);
  const renewLeadSeconds = read.int("TOKEN_RENEW_LEAD_SECONDS", 60, MIN_RENEW_LEAD_SECONDS, 3600);
  const renewJitterSeconds = read.int("TOKEN_RENEW_JITTER_SECONDS", 30, 0, 3600);
  // Short by default: renewals are pushed, so a long lifetime buys nothing, and a token a revoked user kept dies soon.
  const tokenTtlSeconds = read.int("TOKEN_TTL_SECONDS", Math.max(DEFAULT_TOKEN_TTL_SECONDS, renewLeadSeconds + 30), renewLeadSeconds + 30, tokenMaxTtlSeconds);

  const prefix = read.str("REDIS_PREFIX") ?? "zts";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) read.fail("REDIS_PREFIX", "must be 1-64 letters, digits or _.:-");
  const redis = redisOf(read);

  const logLevel = (read.str("LOG_LEVEL") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) read.fail("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);

  const config: Config = {
    production,
    appId,
    serverSecret: secret,
    host: read.str("HOST") ?? (production ? "0.0.0.0" : "127.0.0.1"),
    port: read.int("PORT", 4000, 0, 65535),
    redis: redis === undefined ? undefined : Object.freeze(redis),
    redisPrefix: prefix,
    redisWaitReplicas: read.int("REDIS_WAIT_REPLICAS", 0, 0, 16),
    tokenTtlSeconds,
    tokenMaxTtlSeconds,
    renewLeadSeconds,
    renewJitterSeconds,
    defaultCanPublish: read.bool("DEFAULT_CAN_PUBLISH", false),
    allowBasicTokens: read.bool("ALLOW_BASIC_TOKENS", false),
    auth,
    logLevel,
    corsOrigins: corsOf(read, production),
    issueRateLimitPerMinute: read.int("ISSUE_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000),
    authFailureLimitPerMinute: read.int("AUTH_FAILURE_LIMIT_PER_MINUTE", 20, 1, 1_000_000),
    trustedProxies: proxiesOf(read),
    maxSubscriptionsPerUser: read.int("MAX_SUBSCRIPTIONS_PER_USER", 20, 1, 100_000),
    maxConnectionsPerIp: read.int("MAX_CONNECTIONS_PER_IP", 1000, 1, 10_000_000),
    enforcement: enforcementOf(read, generated),
    callbackSecret: callbackSecretOf(read),
    consoleEnabled: read.bool("CONSOLE_ENABLED", !production),
    roomHistoryLength: read.int("ROOM_HISTORY_LENGTH", 1000, 1, 10_000),
    dev:
      generatedAuth.jwtSecret !== undefined || generatedAuth.serviceApiKey !== undefined || generated
        ? Object.freeze({ generatedServerSecret: generated, ...generatedAuth })
        : undefined,
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}
