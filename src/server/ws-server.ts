import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import type { ExecutionArgs, GraphQLFormattedError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import type { Viewer } from "../auth/authenticator.js";
import type { Clock, Timer } from "../clock/clock.js";
import { RateLimitedError } from "../errors/service-errors.js";
import type { GraphQLContext } from "../graphql/context.js";
import { codedError, ErrorCode } from "../graphql/errors.js";
import type { Logger } from "../log/logger.js";
import type { AuthGate } from "./auth-gate.js";
import { prepareDocument } from "./prepare-document.js";
import type { ClientIpResolver } from "./client-ip.js";
import { RefusalReason, type RefusalLog } from "./refusal-log.js";
import type { ServerContext } from "./yoga.js";

/** WebSocket limits (issue: hardening). */
export const WS_LIMITS = Object.freeze({
  /** Largest message accepted, in bytes. */
  maxPayloadBytes: 64 * 1024,
  /** Concurrent operations per connection. */
  maxSubscriptionsPerConnection: 20,
  /** Time allowed between opening the socket and a valid connection_init. */
  connectionInitTimeoutMs: 3000,
  /**
   * Time a client gets to answer the server's close frame before its TCP connection is dropped (the
   * ws library would wait 30 s for a client that never answers).
   */
  closeGraceMs: 1000,
});

/** Close codes used besides graphql-ws's own. */
export const CLOSE = Object.freeze({
  FORBIDDEN: 4403,
  /** Try Again Later: graphql-ws clients retry it (4429 would be fatal to them). */
  TRY_AGAIN_LATER: 1013,
  GOING_AWAY: 1001,
  INTERNAL_ERROR: 1011,
});

/** Options of {@link attachWebSocketServer}. */
export interface WebSocketOptions {
  readonly http: Server;
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  readonly gate: AuthGate;
  /** The client address per-IP limits count under. */
  readonly clientIp: ClientIpResolver;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where refused credentials are noted (rate-limited, with the connection id). */
  readonly refusals: RefusalLog;
  /** Whether a browser `Origin` may open a WebSocket (CORS_ORIGINS); refused upgrades get 403. */
  readonly allowsOrigin: (origin: string | undefined) => boolean;
}

/** The graphql-ws endpoint and what it holds. */
export interface WebSocketEndpoint {
  /** Closes every socket with 1001 and stops accepting. */
  close(): Promise<void>;
  /** Forcefully drops sockets that did not close. */
  terminate(): void;
}

interface Connection {
  viewer: Viewer | null;
  logger: Logger;
  operations: Set<string>;
  expiry?: Timer;
}

function withoutHttp(error: GraphQLFormattedError): GraphQLFormattedError {
  const json = "toJSON" in error && typeof error.toJSON === "function" ? (error.toJSON() as GraphQLFormattedError) : error;
  if (json.extensions === undefined || !("http" in json.extensions)) return json;
  const { http: _http, ...extensions } = json.extensions;
  return { ...json, extensions };
}

function withoutHttpExtensions<T extends { errors?: readonly GraphQLFormattedError[] }>(result: T): T {
  return result.errors === undefined ? result : { ...result, errors: result.errors.map(withoutHttp) };
}

type Execute = (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>>;

/** Serves graphql-transport-ws on `/graphql`, through the same Yoga plugins as HTTP. */
export function attachWebSocketServer(options: WebSocketOptions): WebSocketEndpoint {
  const { yoga, gate, clock } = options;
  const wss = new WebSocketServer({
    server: options.http,
    path: "/graphql",
    maxPayload: WS_LIMITS.maxPayloadBytes,
    // Browsers send their page's Origin on an upgrade and WebSockets are not subject to CORS: a page
    // from another site could otherwise open one with whatever credentials it holds.
    verifyClient: ({ req }, done) => (options.allowsOrigin(req.headers.origin) ? done(true) : done(false, 403, "Forbidden")),
  });
  const connections = new Map<WebSocket, Connection>();
  // Sockets that sent connection_init (their onConnect may still be verifying credentials).
  const initialised = new WeakSet<WebSocket>();
  // Socket-level timers run on real time, like graphql-ws's own connection_init timer they follow.
  const terminateAfter = (socket: WebSocket, delayMs: number, unless: () => boolean = () => false) => {
    const timer = setTimeout(() => {
      if (!unless()) socket.terminate();
    }, delayMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };

  useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>(
    {
      connectionInitWaitTimeout: WS_LIMITS.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        initialised.add(socket);
        const params = ctx.connectionParams ?? {};
        // Flat, unlike randomUUID's result (built by concatenation: ~600 bytes of string pieces kept for
        // the connection's life).
        const logger = options.logger.child({ connectionId: randomBytes(12).toString("base64url") });
        let viewer: Viewer | null;
        const ip = options.clientIp(ctx.extra.request);
        try {
          viewer = await gate.authenticate({ authorization: params["authorization"], apiKey: params["apiKey"] }, ip, "ws");
        } catch (e) {
          if (e instanceof RateLimitedError) socket.close(CLOSE.TRY_AGAIN_LATER, "Try Again Later");
          options.refusals.refused(ip, logger, { reason: e instanceof RateLimitedError ? RefusalReason.RATE_LIMITED : RefusalReason.UNAUTHENTICATED, transport: "ws" });
          terminateAfter(socket, WS_LIMITS.closeGraceMs);
          return false;
        }
        if (viewer === null) {
          terminateAfter(socket, WS_LIMITS.closeGraceMs);
          return false;
        }
        const conn: Connection = { viewer, logger: viewer.kind === "SERVICE" ? logger.child({ keyName: viewer.keyName }) : logger, operations: new Set() };
        if (viewer.kind === "USER") {
          // A socket lives no longer than its JWT: the client reconnects with a fresh one.
          conn.expiry = clock.setTimer(() => {
            socket.close(CLOSE.FORBIDDEN, "Forbidden: credentials expired");
            terminateAfter(socket, WS_LIMITS.closeGraceMs);
          }, viewer.expiresAt * 1000 - clock.now());
        }
        connections.set(socket, conn);
        return true;
      },
      onClose: (ctx) => {
        connections.get(ctx.extra.socket)?.expiry?.cancel();
        connections.delete(ctx.extra.socket);
      },
      onComplete: (ctx, id) => {
        connections.get(ctx.extra.socket)?.operations.delete(id);
      },
      onSubscribe: async (ctx, id, payload) => {
        const conn = connections.get(ctx.extra.socket);
        if (conn === undefined) return [codedError(ErrorCode.UNAUTHENTICATED, "authentication required")];
        if (conn.operations.size >= WS_LIMITS.maxSubscriptionsPerConnection) {
          return [codedError(ErrorCode.RATE_LIMITED, `at most ${WS_LIMITS.maxSubscriptionsPerConnection} subscriptions per connection`)];
        }
        const enveloped = yoga.getEnveloped({ req: ctx.extra.request, viewer: conn.viewer, logger: conn.logger, params: payload });
        const prepared = prepareDocument(enveloped, payload.query);
        if ("errors" in prepared) return prepared.errors;
        const { schema, execute, subscribe, contextFactory } = enveloped;
        conn.operations.add(id);
        return {
          schema,
          document: prepared.document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      // `extensions.http` steers HTTP statuses; it means nothing over a socket, so it never goes out.
      onNext: (_ctx, _id, _payload, _args, result) => withoutHttpExtensions(result),
      onError: (_ctx, _id, _payload, errors) => errors.map(withoutHttp),
      execute: (args) => (args.rootValue as { execute: Execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: Execute }).subscribe(args),
    },
    wss,
  );
  // graphql-ws reports socket errors (an oversized message, a bad frame) with console.error and a stack
  // trace: replace its listener, so every log line stays one JSON line and nobody can flood stderr.
  wss.on("connection", (socket: WebSocket) => {
    // graphql-ws closes a socket without connection_init (4408) at the timeout; its TCP goes a grace later.
    terminateAfter(socket, WS_LIMITS.connectionInitTimeoutMs + WS_LIMITS.closeGraceMs, () => initialised.has(socket));
    socket.removeAllListeners("error");
    socket.on("error", (e: Error & { code?: string }) => {
      options.logger.warn("websocket error", { error: e.name, code: e.code ?? "unknown" });
      if (socket.readyState === socket.OPEN) socket.close(CLOSE.INTERNAL_ERROR, "Internal server error");
    });
  });
  // A room change makes hundreds of subscriptions push in the same turn of the event loop. Sockets are
  // corked at their first write of a turn and uncorked together once the turn's promise chains have run
  // (process.nextTick runs after the microtask queue drains, without waiting for another loop phase),
  // so the pushes are computed back to back and then written in one burst (one syscall per socket, as
  // before), instead of alternating minting with system calls that wake the readers and compete for
  // the CPU.
  const corked: Socket[] = [];
  const CORK_SLICE = 64;
  const flush = () => {
    for (const raw of corked.splice(0)) raw.uncork();
  };
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const raw = request.socket;
    const send = socket.send.bind(socket);
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      if (raw.writableCorked === 0 && !raw.destroyed) {
        if (corked.length === 0) process.nextTick(flush);
        raw.cork();
        corked.push(raw);
      }
      (send as (...args: unknown[]) => void)(data, ...rest);
      // Bursts leave in slices, so readers start on the first pushes while the rest are prepared.
      if (corked.length >= CORK_SLICE) flush();
    }) as WebSocket["send"];
  });
  wss.removeAllListeners("error");
  wss.on("error", (e: Error) => options.logger.error("websocket server error", { error: e.name }));

  return {
    async close() {
      for (const socket of wss.clients) socket.close(CLOSE.GOING_AWAY, "server shutting down");
      for (const conn of connections.values()) conn.expiry?.cancel();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    terminate() {
      for (const socket of wss.clients) socket.terminate();
    },
  };
}
