import { readFileSync } from "node:fs";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import type { Clock } from "../../src/clock/clock.js";
import type { EnforcementLimits, EnforcementTuning } from "../../src/enforcement/tuning.js";
import { loadConfig } from "../../src/config/config.js";
import type { Logger } from "../../src/log/logger.js";
import type { Backends } from "../../src/server/backends.js";
import { createTokenServer, type TokenServer } from "../../src/server/create-server.js";
import type { ConnectionLimits } from "../../src/server/connection-limits.js";
import type { BacklogLimits } from "../../src/server/socket-backlog.js";

/** Recognisable test credentials (the leak tests search for them). */
export const TEST_SECRETS = {
  serverSecret: "S3RVERsecretS3RVERsecretS3RVER32",
  jwtSecret: "JWTsecretJWTsecretJWTsecretJWTsecret",
  apiKey: "APIkeyAPIkeyAPIkey-game-server-1",
} as const;

export const TEST_APP_ID = 987654321;

/** The environment of an instance with the test credentials, on a free port. */
export const TEST_ENV: Readonly<Record<string, string>> = {
  ZEGO_APP_ID: String(TEST_APP_ID),
  ZEGO_SERVER_SECRET: TEST_SECRETS.serverSecret,
  AUTH_JWT_SECRET: TEST_SECRETS.jwtSecret,
  SERVICE_API_KEYS: TEST_SECRETS.apiKey,
  PORT: "0",
};

/** A running server with helpers to call it. */
export interface TestServer {
  readonly server: TokenServer;
  readonly url: string;
  readonly wsUrl: string;
  /** A user JWT valid for `ttlSeconds` (default 24 h, longer than any default token) from the server clock's now. */
  jwt(userId: string, ttlSeconds?: number): Promise<string>;
  /** POSTs a GraphQL operation; `as` is a user ID, "service", or nothing (anonymous). */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: string): Promise<GqlResult<T>>;
  /** A graphql-ws client authenticated as the user (or "service"). */
  ws(as?: string, extra?: Partial<Parameters<typeof createClient>[0]>): Promise<Client>;
  stop(): Promise<void>;
}

/** A GraphQL response. */
export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }>;
}

/** Options of {@link startTestServer}. */
export interface StartOptions {
  env?: Record<string, string>;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  backends?: Backends;
  /** Names the instance's Redis connections. */
  instanceName?: string;
  enforcementTuning?: Partial<EnforcementTuning>;
  enforcementLimits?: Partial<EnforcementLimits>;
  connectionLimits?: Partial<ConnectionLimits & BacklogLimits>;
  /** False: every JSON POST goes through Yoga (to compare it with the fast path). */
  fastPath?: boolean;
}

/** Starts a real server on a free port with known credentials. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const config = loadConfig({ ...TEST_ENV, HOST: "127.0.0.1", ...options.env }, { readFile: (path) => readFileSync(path, "utf8") });
  const server = await createTokenServer({
    config,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.backends === undefined ? {} : { backends: options.backends }),
    ...(options.instanceName === undefined ? {} : { instanceName: options.instanceName }),
    ...(options.enforcementTuning === undefined ? {} : { enforcementTuning: options.enforcementTuning }),
    ...(options.enforcementLimits === undefined ? {} : { enforcementLimits: options.enforcementLimits }),
    ...(options.connectionLimits === undefined ? {} : { connectionLimits: options.connectionLimits }),
    ...(options.fastPath === undefined ? {} : { fastPath: options.fastPath }),
  });
  await server.start();
  const url = `${server.url}/graphql`;
  const wsUrl = url.replace(/^http/, "ws");
  const clients: Client[] = [];
  const nowMs = () => (options.clock ?? { now: Date.now }).now();
  const jwt = (userId: string, ttlSeconds = 86400) => signUserJwt({ secret: TEST_SECRETS.jwtSecret, userId, ttlSeconds, nowMs: nowMs() });
  const headersFor = async (as?: string): Promise<Record<string, string>> => {
    if (as === undefined) return {};
    if (as === "service") return { "x-api-key": TEST_SECRETS.apiKey };
    return { authorization: `Bearer ${await jwt(as)}` };
  };
  return {
    server,
    url,
    wsUrl,
    jwt,
    async gql(query, variables, as) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...(await headersFor(as)) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async ws(as, extra = {}) {
      const params = as === undefined ? {} : as === "service" ? { apiKey: TEST_SECRETS.apiKey } : { authorization: `Bearer ${await jwt(as)}` };
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: params, retryAttempts: 0, lazy: true, ...extra });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.dispose()));
      await server.stop();
    },
  };
}

/** An open subscription whose results are queued for the test to take. */
export interface SubscriptionQueue<T> {
  /** The next result, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<T>;
  /** Results received and not yet taken. */
  readonly buffered: T[];
  /** Resolves when the server completes the subscription or it errors. */
  readonly done: Promise<{ error?: unknown }>;
  /** Waits `ms` and returns whatever arrived (for asserting that nothing did). */
  drain(ms: number): Promise<T[]>;
  dispose(): void;
}

/** Subscribes with a graphql-ws client and queues every result. */
export function subscribe<T = { data?: Record<string, unknown> | null; errors?: GqlResult<unknown>["errors"] }>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): SubscriptionQueue<T> {
  const buffered: T[] = [];
  let waiter: ((v: T) => void) | undefined;
  let finish: (v: { error?: unknown }) => void = () => undefined;
  const done = new Promise<{ error?: unknown }>((resolve) => {
    finish = resolve;
  });
  const dispose = client.subscribe<unknown>(
    { query, variables },
    {
      next: (value) => {
        const w = waiter;
        waiter = undefined;
        if (w !== undefined) w(value as T);
        else buffered.push(value as T);
      },
      error: (error) => finish({ error }),
      complete: () => finish({}),
    },
  );
  return {
    buffered,
    done,
    next(timeoutMs = 5000) {
      const first = buffered.shift();
      if (first !== undefined) return Promise.resolve(first);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no subscription result within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = (v) => {
          clearTimeout(timer);
          resolve(v);
        };
      });
    },
    async drain(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return buffered.splice(0);
    },
    dispose,
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A GraphQL error as clients receive it. */
export interface ReceivedError {
  message: string;
  extensions?: Record<string, unknown>;
}

/**
 * The first error a subscription reports, whether the server sends it as a result (`next`) or ends the
 * subscription with it (graphql-ws `error`); `undefined` when its first result has none.
 */
export async function firstError(sub: SubscriptionQueue<{ errors?: ReadonlyArray<ReceivedError> | undefined }>): Promise<ReceivedError | undefined> {
  const first = await Promise.race([sub.next(), sub.done.then((d) => ({ ended: d }))]);
  if ("ended" in first) return (first.ended.error as ReadonlyArray<ReceivedError> | undefined)?.[0];
  return first.errors?.[0];
}
