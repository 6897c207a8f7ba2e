import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAuthenticator } from "../auth/authenticator.js";
import { systemClock, type Clock } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import type { Services } from "../graphql/context.js";
import { createRateLimiter } from "../limits/rate-limiter.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { createRenewalHub, type RenewalHub } from "../renewal/renewal-hub.js";
import { createTokenIssuer } from "../renewal/token-issuer.js";
import { createRoomService } from "../rooms/room-service.js";
import { createAuthGate } from "./auth-gate.js";
import { createBackends, type Backends } from "./backends.js";
import { createHttpHandler } from "./http-handler.js";
import { createPageHandler } from "../web/serve-pages.js";
import { attachWebSocketServer } from "./ws-server.js";
import { createTokenYoga } from "./yoga.js";

/** Options of {@link createTokenServer}. */
export interface TokenServerOptions {
  readonly config: Config;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Uniform [0, 1) for renewal jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Store and bus; default from the config (memory, or Redis with REDIS_URL). */
  readonly backends?: Backends;
  /** Names this instance's Redis connections in CLIENT LIST; default random. */
  readonly instanceName?: string;
}

/** A running token service. */
export interface TokenServer {
  /** `http://host:port`, known after `start()`. */
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  readonly hub: RenewalHub;
  readonly backends: Backends;
  readonly metrics: Metrics;
  /** Listens on the configured host and port (0 picks a free port). */
  start(): Promise<void>;
  /** Stops accepting, closes WebSockets with 1001, ends subscriptions, releases timers and connections. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3000;

/** Creates the token service: GraphQL over HTTP, SSE and graphql-ws, plus /healthz, /readyz and /metrics. */
export async function createTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const backends =
    options.backends ?? (await createBackends(config, clock, logger, options.instanceName === undefined ? {} : { clientName: options.instanceName }));
  const { store, bus } = backends;
  const ready = async () => {
    await Promise.all([store.ping(), bus.ping()]);
  };

  const metrics = createMetrics({
    // Read at scrape time, when the hub below exists.
    activeSubscriptions: () => hub.stats().subscriptions,
    redisUp: () => ready().then(
      () => 1,
      () => 0,
    ),
  });
  const issuer = createTokenIssuer({
    appId: config.appId,
    serverSecret: config.serverSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    tokenMaxTtlSeconds: config.tokenMaxTtlSeconds,
    timing: { leadSeconds: config.renewLeadSeconds, jitterSeconds: config.renewJitterSeconds },
    defaultCanPublish: config.defaultCanPublish,
    store,
    clock,
    random: options.random ?? Math.random,
    onMint: (kind) => metrics.tokenIssued(kind),
  });
  const hub = createRenewalHub({ issuer, bus, clock, logger, onPush: (r) => metrics.tokenPushed(r.reason, r.changeCommittedAtMs, clock.now()) });
  const limiterBase = { durationSeconds: 60, prefix: config.redisPrefix, ...(backends.redis === undefined ? {} : { redis: backends.redis }) };
  const services: Services = {
    config,
    issuer,
    rooms: createRoomService({ store, bus, logger, now: () => clock.now() }),
    hub,
    bus,
    clock,
    issueLimit: createRateLimiter({ ...limiterBase, name: "issue", points: config.issueRateLimitPerMinute }),
  };
  const gate = createAuthGate(
    createAuthenticator({ config: config.auth, now: () => clock.now() }),
    createRateLimiter({ ...limiterBase, name: "authfail", points: config.authFailureLimitPerMinute }),
    metrics,
  );
  const yoga = createTokenYoga({ services, gate, production: config.production, logger });
  const http: Server = createServer(createHttpHandler({ yoga, metrics, logger, ready, backendKind: backends.kind, pages: createPageHandler({ enabled: config.consoleEnabled }) }));
  const ws = attachWebSocketServer({ http, yoga, gate, clock, logger });

  let port = 0;
  let stopped = false;
  return {
    get url() {
      const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
      return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    },
    get port() {
      return port;
    },
    services,
    hub,
    backends,
    metrics,
    async start() {
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(config.port, config.host, () => {
          http.off("error", reject);
          port = (http.address() as AddressInfo).port;
          resolve();
        });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await ws.close();
      await hub.stop();
      http.closeIdleConnections();
      const force = setTimeout(() => {
        http.closeAllConnections();
        ws.terminate();
      }, STOP_GRACE_MS);
      await closed;
      clearTimeout(force);
      await Promise.allSettled([store.stop(), bus.stop()]);
      await yoga.dispose();
    },
  };
}
