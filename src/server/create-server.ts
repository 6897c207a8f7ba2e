import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAuthenticator } from "../auth/authenticator.js";
import { systemClock, type Clock } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import type { Services } from "../graphql/context.js";
import { createRateLimiter } from "../limits/rate-limiter.js";
import { createAddressVerifications, DEFAULT_VERIFICATION_PACING } from "../limits/address-verifications.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { createRenewalHub, type RenewalHub } from "../renewal/renewal-hub.js";
import { createTokenIssuer } from "../renewal/token-issuer.js";
import { createRoomService } from "../rooms/room-service.js";
import { createEnforcer, type Enforcer } from "../enforcement/enforcer.js";
import { DEFAULT_ENFORCEMENT_TUNING, zegoLimits, type EnforcementLimits, type EnforcementTuning } from "../enforcement/tuning.js";
import { createZegoServerApi } from "../zego/server-api.js";
import { createAuthGate } from "./auth-gate.js";
import { createClientIpResolver, isTrustedProxy } from "./client-ip.js";
import { createCors } from "./cors.js";
import { applyConnectionLimits, DEFAULT_CONNECTION_LIMITS, timeoutCheckIntervalMs, type ConnectionLimits } from "./connection-limits.js";
import { createBackends, type Backends } from "./backends.js";
import { DEFAULT_BACKLOG_LIMITS, guardSocketBacklog, type BacklogLimits } from "./socket-backlog.js";
import { createHttpHandler, MAX_REQUEST_BODY_BYTES } from "./http-handler.js";
import { createPageHandler } from "../web/serve-pages.js";
import { createRefusalLog, RefusalReason } from "./refusal-log.js";
import { attachWebSocketServer } from "./ws-server.js";
import { createTokenYoga } from "./yoga.js";
import { createZegoCallbackHandler } from "./zego-callback.js";

/** Options of {@link createTokenServer}. */
export interface TokenServerOptions {
  readonly config: Config;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Uniform [0, 1) for renewal jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Store, bus and enforcement queue; default from the config (memory, or Redis with a Redis target). The server stops them. */
  readonly backends?: Backends;
  /** Names this instance's Redis connections in CLIENT LIST; default random. */
  readonly instanceName?: string;
  /** Serve JSON POSTs through the fast path (default true); tests turn it off to compare with Yoga. */
  readonly fastPath?: boolean;
  /** Connection timeouts and caps; defaults {@link DEFAULT_CONNECTION_LIMITS} and MAX_CONNECTIONS_PER_IP. */
  readonly connectionLimits?: Partial<ConnectionLimits & BacklogLimits>;
  /** Timing of revocation enforcement (tests shorten it); default {@link DEFAULT_ENFORCEMENT_TUNING}. */
  readonly enforcementTuning?: Partial<EnforcementTuning>;
  /** Overrides ZEGO's call limits (tests use a small rule cap). */
  readonly enforcementLimits?: Partial<EnforcementLimits>;
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
  /** Revocation enforcement and live-stream tracking; absent when neither ZEGO_ENFORCE nor ZEGO_CALLBACK_SECRET is set. */
  readonly enforcer: Enforcer | undefined;
  /** Listens on the configured host and port (0 picks a free port). */
  start(): Promise<void>;
  /** Stops accepting, closes WebSockets with 1001, ends subscriptions, releases timers and connections. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3000;
/** Refusals (bad credentials, bad callbacks) write one line per address per minute, with a count of the rest. */
const REFUSAL_LOG_WINDOW_MS = 60_000;
/**
 * Connections the kernel may queue before they are accepted; it caps this at net.core.somaxconn.
 * Node's default, 511, overflows when an instance dies and its clients all reconnect here while the
 * event loop is busy: the kernel then drops their SYNs and they retry after 1, 3, 7, 15, 31 s...
 */
export const LISTEN_BACKLOG = 65_535;

/** Creates the token service: GraphQL over HTTP, SSE and graphql-ws, plus /healthz, /readyz and /metrics. */
export async function createTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const backends =
    options.backends ?? (await createBackends({ config, clock, logger, ...(options.instanceName === undefined ? {} : { clientName: options.instanceName }) }));
  const { store, bus } = backends;
  const ready = async () => {
    await Promise.all([store.ping(), bus.ping()]);
  };

  const random = options.random ?? Math.random;
  const enforcementStore = config.enforcement.enabled || config.callbackSecret !== undefined ? backends.createEnforcementStore() : undefined;
  // Assigned once the HTTP server exists; read at scrape time only.
  let connections: { open(): number } = { open: () => 0 };
  const metrics = createMetrics({
    // Read at scrape time, when the hub below exists.
    activeSubscriptions: () => hub.stats().subscriptions,
    openConnections: () => connections.open(),
    ...(backends.kind === "memory"
      ? {}
      : {
          redisUp: () =>
            ready().then(
              () => 1,
              () => 0,
            ),
        }),
    ...(enforcementStore === undefined ? {} : { enforcementBacklog: () => enforcementStore.backlog(), enforcementRulesInForce: () => enforcementStore.rulesInForce(clock.now()) }),
  });
  const tuning: EnforcementTuning = { ...DEFAULT_ENFORCEMENT_TUNING, ...options.enforcementTuning };
  const enforcer =
    enforcementStore === undefined
      ? undefined
      : createEnforcer({
          store: enforcementStore,
          rooms: store,
          api: config.enforcement.enabled
            ? createZegoServerApi({
                apiUrl: config.enforcement.apiUrl,
                appId: config.appId,
                serverSecret: config.serverSecret,
                isTest: config.enforcement.isTest,
                clock,
                timeoutMs: tuning.callTimeoutMs,
              })
            : undefined,
          clock,
          logger: logger.child({ component: "enforcement" }),
          metrics,
          defaultCanPublish: config.defaultCanPublish,
          unknownStream: config.enforcement.unknownStream,
          userRules: config.enforcement.userRules,
          limits: { ...zegoLimits(config.enforcement.isTest), ...options.enforcementLimits },
          tuning,
          random,
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
    random,
    onMint: (kind) => metrics.tokenIssued(kind),
    onStateLost: (roomId) => {
      metrics.roomStateLost();
      logger.error("room state lost: the shared store no longer has a room this instance knew (data loss?)", { roomId });
    },
  });
  const hub = createRenewalHub({ issuer, bus, clock, logger, onPush: (r) => metrics.tokenPushed(r.reason, r.changeCommittedAtMs, clock.now()), maxSubscriptionsPerUser: config.maxSubscriptionsPerUser });
  const limiterBase = { durationSeconds: 60, prefix: config.redisPrefix, ...(backends.redis === undefined ? {} : { redis: backends.redis }) };
  const services: Services = {
    config,
    issuer,
    rooms: createRoomService({ store, bus, logger, now: () => clock.now(), ...(enforcer?.enforcing === true ? { hook: enforcer } : {}) }),
    hub,
    bus,
    clock,
    issueLimit: createRateLimiter({ ...limiterBase, name: "issue", points: config.issueRateLimitPerMinute }),
    ...(enforcer === undefined ? {} : { enforcement: enforcer }),
  };
  const gate = createAuthGate({
    authenticator: createAuthenticator({ config: config.auth, now: () => clock.now() }),
    failures: createRateLimiter({ ...limiterBase, name: "authfail", points: config.authFailureLimitPerMinute }),
    verifications: createAddressVerifications(DEFAULT_VERIFICATION_PACING, clock),
    metrics,
  });
  const clientIp = createClientIpResolver(config.trustedProxies);
  const refusals = createRefusalLog({ windowMs: REFUSAL_LOG_WINDOW_MS, now: () => clock.now() });
  const yoga = createTokenYoga({ services, gate, clientIp, production: config.production, logger, refusals });
  const zegoCallback =
    enforcer === undefined || config.callbackSecret === undefined
      ? undefined
      : createZegoCallbackHandler({
          secret: config.callbackSecret,
          enforcer,
          clock,
          maxBodyBytes: MAX_REQUEST_BODY_BYTES,
          refused: (req, log, code) => refusals.refused(clientIp(req), log, { reason: RefusalReason.BAD_CALLBACK, code }),
        });
  const cors = createCors(config.corsOrigins);
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, maxConnectionsPerIp: config.maxConnectionsPerIp, ...options.connectionLimits };
  const http: Server = createServer(
    { connectionsCheckingInterval: timeoutCheckIntervalMs(limits) },
    createHttpHandler({ yoga, metrics, logger, ready, backendKind: backends.kind, cors, fastPath: options.fastPath ?? true, ...(zegoCallback === undefined ? {} : { zegoCallback }), pages: createPageHandler({ enabled: config.consoleEnabled, graphiql: !config.production }) }),
  );
  connections = applyConnectionLimits(http, limits, isTrustedProxy(config.trustedProxies), logger);
  const backlog = guardSocketBacklog(http, { ...DEFAULT_BACKLOG_LIMITS, ...options.connectionLimits }, logger);
  // SSE streams are cut, not completed, on shutdown: `event: complete` tells graphql-sse clients the
  // subscription is over for good, while a dropped stream makes them reconnect (to the next instance).
  const eventStreams = new Set<ServerResponse>();
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const accept = req.headers.accept;
    if (accept === undefined || !accept.includes("text/event-stream")) return;
    eventStreams.add(res);
    res.once("close", () => eventStreams.delete(res));
  });
  const ws = attachWebSocketServer({ http, yoga, gate, clientIp, clock, logger, refusals, allowsOrigin: cors.allowsUpgrade });

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
    enforcer,
    async start() {
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          http.off("error", reject);
          port = (http.address() as AddressInfo).port;
          resolve();
        });
      });
      enforcer?.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const res of eventStreams) res.destroy();
      await enforcer?.stop();
      await ws.close();
      await hub.stop();
      http.closeIdleConnections();
      const force = setTimeout(() => {
        http.closeAllConnections();
        ws.terminate();
      }, STOP_GRACE_MS);
      await closed;
      clearTimeout(force);
      backlog.stop();
      await backends.stop();
      await yoga.dispose();
      metrics.close();
    },
  };
}
