import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { createAuthenticator, type Viewer } from "../auth/authenticator.js";
import { systemClock, type Clock, type Timer } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import { AuthenticationError } from "../errors/service-errors.js";
import { errorName, silentLogger, type Logger } from "../log/logger.js";
import { createRenewalHub, type RenewalHub } from "../renewal/renewal-hub.js";
import { createTokenIssuer } from "../renewal/token-issuer.js";
import { createRoomService } from "../rooms/room-service.js";
import type { GraphQLContext, Services } from "../graphql/context.js";
import { codedError, ErrorCode, maskError } from "../graphql/errors.js";
import { buildSchema } from "../graphql/schema.js";
import { createBackends, type Backends } from "./backends.js";

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
  /** Listens on the configured host and port (0 picks a free port). */
  start(): Promise<void>;
  /** Stops accepting, closes WebSockets with 1001, ends subscriptions, releases timers and connections. */
  stop(): Promise<void>;
}

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Set for graphql-ws operations, authenticated at connection_init. */
  viewer?: Viewer | null;
}

const READY_TIMEOUT_MS = 1000;
const STOP_GRACE_MS = 3000;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let handle: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error("timed out")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(handle));
}

/** Creates the token service: GraphQL over HTTP, SSE and graphql-ws, plus /healthz and /readyz. */
export async function createTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const backends =
    options.backends ?? (await createBackends(config, clock, logger, options.instanceName === undefined ? {} : { clientName: options.instanceName }));
  const { store, bus } = backends;

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
  });
  const hub = createRenewalHub({ issuer, bus, clock, logger });
  const services: Services = { config, issuer, rooms: createRoomService({ store, bus, logger }), hub, clock };
  const authenticator = createAuthenticator({ config: config.auth, now: () => clock.now() });

  const authenticateHttp = async (req: IncomingMessage): Promise<Viewer | null> => {
    try {
      return await authenticator.authenticate({ authorization: header(req, "authorization"), apiKey: header(req, "x-api-key") });
    } catch (e) {
      if (e instanceof AuthenticationError) throw codedError(ErrorCode.UNAUTHENTICATED, e.message, { http: { status: 401 } });
      throw e;
    }
  };

  const yoga: YogaServerInstance<ServerContext, GraphQLContext> = createYoga<ServerContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: !config.production,
    maskedErrors: { maskError },
    logging: {
      debug: () => undefined,
      info: () => undefined,
      warn: (...args: unknown[]) => logger.warn("graphql warning", { error: errorName(args[0]) }),
      error: (...args: unknown[]) => logger.error("graphql error", { error: errorName(args[0]) }),
    },
    context: async ({ req, viewer }) => ({
      viewer: viewer !== undefined ? viewer : await authenticateHttp(req),
      services,
    }),
  });

  const http: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (path === "/readyz") {
      withTimeout(Promise.all([store.ping(), bus.ping()]), READY_TIMEOUT_MS).then(
        () => res.writeHead(200, { "content-type": "application/json" }).end(`{"status":"ready","backend":"${backends.kind}"}`),
        () => res.writeHead(503, { "content-type": "application/json" }).end(`{"status":"unavailable","backend":"${backends.kind}"}`),
      );
      return;
    }
    void yoga(req, res);
  });

  const wss = new WebSocketServer({ server: http, path: "/graphql" });
  const viewers = new WeakMap<WebSocket, Viewer | null>();
  const expiryTimers = new Map<WebSocket, Timer>();

  useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        let viewer: Viewer | null;
        try {
          viewer = await authenticator.authenticate({ authorization: params["authorization"], apiKey: params["apiKey"] });
        } catch {
          return false;
        }
        if (viewer === null) return false;
        const socket = ctx.extra.socket;
        viewers.set(socket, viewer);
        if (viewer.kind === "USER") {
          // A socket lives no longer than its JWT: the client reconnects with a fresh one.
          expiryTimers.set(
            socket,
            clock.setTimer(() => socket.close(4403, "Forbidden: credentials expired"), viewer.expiresAt * 1000 - clock.now()),
          );
        }
        return true;
      },
      onClose: (ctx) => {
        expiryTimers.get(ctx.extra.socket)?.cancel();
        expiryTimers.delete(ctx.extra.socket);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          res: undefined as unknown as ServerResponse,
          viewer: viewers.get(ctx.extra.socket) ?? null,
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [codedError(ErrorCode.BAD_USER_INPUT, e instanceof Error ? e.message : "invalid query")];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      execute: (args) => (args.rootValue as { execute: (a: typeof args) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>> }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: (a: typeof args) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["subscribe"]>> }).subscribe(args),
    },
    wss,
  );

  let port = 0;
  let stopped = false;
  const server: TokenServer = {
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
      for (const socket of wss.clients) socket.close(1001, "server shutting down");
      for (const timer of expiryTimers.values()) timer.cancel();
      expiryTimers.clear();
      await hub.stop();
      http.closeIdleConnections();
      const force = setTimeout(() => {
        http.closeAllConnections();
        for (const socket of wss.clients) socket.terminate();
      }, STOP_GRACE_MS);
      await closed;
      clearTimeout(force);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await Promise.allSettled([store.stop(), bus.stop()]);
      await yoga.dispose?.();
    },
  };
  return server;
}
