import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log/logger.js";

/** Limits on TCP connections and slow or idle clients. */
export interface ConnectionLimits {
  /** Time to receive a request's headers; an idle or slow-header connection is dropped after it. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (headers and body); SSE and WebSocket streams are not bound by it. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections on the whole server. */
  readonly maxConnections: number;
  /** Open connections from one address (HTTP, SSE and WebSocket alike). */
  readonly maxConnectionsPerIp: number;
}

/** Defaults for production: slowloris-style clients are cut within seconds, not minutes. */
export const DEFAULT_CONNECTION_LIMITS: Omit<ConnectionLimits, "maxConnectionsPerIp"> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 100_000,
});

/** Node checks header and request timeouts on this interval (its default, 30 s, would let idle sockets pile up). */
export function timeoutCheckIntervalMs(limits: ConnectionLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)));
}

/**
 * Applies the limits to a server: Node's timeouts, a global cap, and a per-address cap counted from
 * the socket's peer (trusted proxies, whose connections carry many clients, are exempt).
 */
export function applyConnectionLimits(http: Server, limits: ConnectionLimits, isExempt: (address: string) => boolean, logger: Logger): { open(): number } {
  let open = 0;
  http.headersTimeout = limits.headersTimeoutMs;
  http.requestTimeout = limits.requestTimeoutMs;
  http.keepAliveTimeout = limits.keepAliveTimeoutMs;
  http.maxConnections = limits.maxConnections;
  const perIp = new Map<string, number>();
  let lastRefusalLog = 0;
  http.on("request", (req: IncomingMessage) => req.socket.setTimeout(0));
  http.on("connection", (socket: Socket) => {
    open++;
    socket.once("close", () => open--);
    const address = socket.remoteAddress ?? "unknown";
    if (isExempt(address)) {
      socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
      return;
    }
    const fromAddress = (perIp.get(address) ?? 0) + 1;
    if (fromAddress > limits.maxConnectionsPerIp) {
      socket.destroy();
      const now = Date.now();
      if (now - lastRefusalLog >= 1000) {
        lastRefusalLog = now;
        logger.warn("connection refused: too many from one address", { limit: limits.maxConnectionsPerIp });
      }
      return;
    }
    perIp.set(address, fromAddress);
    // Node's header timeout starts with the first byte; a socket that never sends one is cut here.
    // A request (or a WebSocket upgrade, which clears it itself) hands the socket to Node's own timeouts.
    socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
    socket.once("close", () => {
      const left = (perIp.get(address) ?? 1) - 1;
      if (left <= 0) perIp.delete(address);
      else perIp.set(address, left);
    });
  });
  return { open: () => open };
}
