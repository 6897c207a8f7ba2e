import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "../graphql/context.js";
import type { Logger } from "../log/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { createJsonFastPath, isFastPathRequest } from "./json-fast-path.js";
import { withTimeout } from "../util/timeout.js";
import type { ServerContext } from "./yoga.js";
import type { Cors } from "./cors.js";
import type { ZegoCallbackHandler } from "./zego-callback.js";
import type { PageHandler } from "../web/serve-pages.js";

/** Largest request body accepted, in bytes. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
const READY_TIMEOUT_MS = 1000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Resolves when the store and bus answer. */
  readonly ready: () => Promise<void>;
  readonly backendKind: string;
  /** `POST /zego/callback`; absent (404) without ZEGO_CALLBACK_SECRET. */
  readonly zegoCallback?: ZegoCallbackHandler;
  /** CORS for every response; applied before anything else answers. */
  readonly cors: Cors;
  /** Serve JSON POSTs through the fast path (default true); off only to compare it with Yoga in tests. */
  readonly fastPath?: boolean;
  /** The /assistant and /console pages (404 when the console is disabled). */
  readonly pages?: PageHandler;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
}

/** Rejects a body that is too large or has no declared length, before anything reads it. */
function bodyRefusal(req: IncomingMessage): { status: number; message: string } | undefined {
  if (req.method !== "POST" && req.method !== "PUT" && req.method !== "PATCH") return undefined;
  const length = req.headers["content-length"];
  if (length === undefined) return { status: 411, message: "a Content-Length header is required" };
  if (!/^\d+$/.test(length) || Number(length) > MAX_REQUEST_BODY_BYTES) {
    return { status: 413, message: `request body larger than ${MAX_REQUEST_BODY_BYTES} bytes` };
  }
  return undefined;
}

/** The HTTP entry: request ids and access logs, /healthz, /readyz, /metrics, body limits, then Yoga. */
export function createHttpHandler(options: HttpHandlerOptions): RequestListener {
  const { yoga, metrics } = options;
  const fastPath = createJsonFastPath({ yoga });
  const useFastPath = options.fastPath ?? true;
  const accessLog = options.logger.enabled("info");
  return (req, res) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("x-request-id", requestId);
    // Every answer, whichever branch gives it: same CORS, never cached, never content-sniffed.
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
    if (options.cors.handle(req, res)) return;
    const logger = options.logger.child({ requestId });
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    // The access log's timer and listener only where its lines are written.
    if (accessLog) {
      const started = process.hrtime.bigint();
      res.once("finish", () => {
        // Refusals anyone can cause (bad credentials, signatures, rate limits) are summarised per address
        // by the refusal log; one access line each would let a flood write the log.
        const status = res.statusCode;
        (status === 401 || status === 429 ? logger.debug : logger.info).call(logger, "request", { method: req.method, path, status, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      });
    }

    if (path === "/healthz") return json(res, 200, { status: "ok" });
    if (path === "/readyz") {
      withTimeout(options.ready(), READY_TIMEOUT_MS).then(
        () => json(res, 200, { status: "ready", backend: options.backendKind }),
        () => json(res, 503, { status: "unavailable", backend: options.backendKind }),
      );
      return;
    }
    if (path === "/metrics") {
      metrics.render().then(
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
        () => json(res, 500, { errors: [{ message: "metrics unavailable" }] }),
      );
      return;
    }
    if (options.pages?.(req, res, path) === true) return;
    const refusal = bodyRefusal(req);
    if (refusal !== undefined) {
      res.setHeader("connection", "close");
      return json(res, refusal.status, { errors: [{ message: refusal.message, extensions: { code: "BAD_USER_INPUT" } }] });
    }
    if (path === "/zego/callback") {
      if (options.zegoCallback === undefined) return json(res, 404, { errors: [{ message: "not found" }] });
      return options.zegoCallback(req, res, logger);
    }
    // handle() may answer synchronously (no promise) or asynchronously.
    Promise.resolve()
      .then(() => (useFastPath && isFastPathRequest(req, path) ? fastPath(req, res, logger) : yoga.handle(req, res, { req, res, logger })))
      .catch((e: unknown) => {
      logger.error("request failed", { error: e instanceof Error ? e.name : typeof e });
      if (!res.headersSent) json(res, 500, { errors: [{ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      else res.destroy();
    });
  };
}
