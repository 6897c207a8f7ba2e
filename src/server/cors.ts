import type { IncomingMessage, ServerResponse } from "node:http";

/** Headers browsers may send cross-origin. */
const ALLOW_HEADERS = "authorization, content-type, accept, x-api-key, x-graphql-yoga-csrf, x-request-id";
/** Response headers browsers may read cross-origin. */
const EXPOSE_HEADERS = "retry-after, x-request-id";
const ALLOW_METHODS = "GET, POST, OPTIONS";
const PREFLIGHT_MAX_AGE_SECONDS = "600";

/** CORS for every response of the server, from one place. */
export interface Cors {
  /**
   * Sets the CORS headers on `res` for an allowed origin (none for others) and answers a preflight.
   * Returns true when the request was a preflight and has been answered.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether a request with this `Origin` may open a WebSocket: no Origin (not a browser) always may. */
  allowsUpgrade(origin: string | undefined): boolean;
}

/**
 * Creates the server's CORS policy: `*` (any origin) or an exact list of origins. Credentials travel
 * in the Authorization header, never in cookies, so `Access-Control-Allow-Credentials` is never sent.
 */
export function createCors(origins: "*" | readonly string[]): Cors {
  const allowed = origins === "*" ? undefined : new Set(origins);
  return {
    handle(req, res) {
      const origin = req.headers.origin;
      if (allowed !== undefined) res.setHeader("vary", "Origin");
      const ok = origin !== undefined && (allowed === undefined || allowed.has(origin));
      if (ok) {
        res.setHeader("access-control-allow-origin", allowed === undefined ? "*" : origin);
        res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
      }
      if (req.method !== "OPTIONS") return false;
      if (ok) {
        res.setHeader("access-control-allow-methods", ALLOW_METHODS);
        res.setHeader("access-control-allow-headers", ALLOW_HEADERS);
        res.setHeader("access-control-max-age", PREFLIGHT_MAX_AGE_SECONDS);
      }
      res.writeHead(204, { allow: ALLOW_METHODS, "content-length": "0" }).end();
      return true;
    },
    allowsUpgrade(origin) {
      return origin === undefined || allowed === undefined || allowed.has(origin);
    },
  };
}
