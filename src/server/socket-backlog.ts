import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log/logger.js";

/** Bounds on what a connection that does not read its answers can make the server hold. */
export interface BacklogLimits {
  /** Requests on one connection received and not yet answered (HTTP pipelining); one more closes it. */
  readonly maxPipelinedRequests: number;
  /** A connection whose output has waited unsent this long (the peer reads nothing) is closed. */
  readonly outputStallTimeoutMs: number;
}

/**
 * Defaults: well above what any client pipelines (browsers do not), and long enough for a slow mobile
 * link to empty its buffer.
 */
export const DEFAULT_BACKLOG_LIMITS: BacklogLimits = Object.freeze({ maxPipelinedRequests: 16, outputStallTimeoutMs: 15_000 });

/** The running guard. */
export interface BacklogGuard {
  stop(): void;
}

const LOG_INTERVAL_MS = 10_000;

/**
 * Closes connections that make the server queue output nobody reads. Node keeps reading pipelined
 * requests and buffering their answers while the peer reads nothing (ten such connections grew a server
 * by 200 MiB), and no timeout applies meanwhile. Two bounds apply to every connection, HTTP, SSE and
 * WebSocket alike:
 * - more than `maxPipelinedRequests` requests received on one connection and not answered closes it (an
 *   answer counts once handed to the kernel, so these pile up only when the peer reads nothing);
 * - output that stays buffered in the process for `outputStallTimeoutMs` (checked four times per
 *   period) closes it. The kernel's own send buffer fills first, so a reader that merely lags is not cut.
 */
export function guardSocketBacklog(http: Server, limits: BacklogLimits, logger: Logger): BacklogGuard {
  const stalledSince = new Map<Socket, number>();
  const unanswered = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  let suppressed = 0;
  let lastLog = 0;
  const cut = (socket: Socket, reason: "pipelining" | "output-stalled") => {
    socket.destroy();
    const now = Date.now();
    if (now - lastLog < LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    logger.warn("connection closed: it reads none of its answers", { reason, suppressed });
    lastLog = now;
    suppressed = 0;
  };
  http.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      stalledSince.delete(socket);
    });
  });
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const count = (unanswered.get(socket) ?? 0) + 1;
    unanswered.set(socket, count);
    res.once("close", () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
    if (count > limits.maxPipelinedRequests) cut(socket, "pipelining");
  });
  const sweep = () => {
    const now = Date.now();
    for (const socket of sockets) {
      if (socket.writableLength === 0) {
        stalledSince.delete(socket);
        continue;
      }
      const since = stalledSince.get(socket);
      if (since === undefined) stalledSince.set(socket, now);
      else if (now - since >= limits.outputStallTimeoutMs) cut(socket, "output-stalled");
    }
  };
  const timer = setInterval(sweep, Math.max(25, Math.floor(limits.outputStallTimeoutMs / 4)));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
