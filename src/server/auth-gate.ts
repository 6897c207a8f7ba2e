import type { Authenticator, Viewer } from "../auth/authenticator.js";
import { AuthenticationError, RateLimitedError } from "../errors/service-errors.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { Metrics } from "../metrics/metrics.js";

/** Credentials as presented over HTTP headers or graphql-ws connectionParams. */
export interface Credentials {
  readonly authorization?: unknown;
  readonly apiKey?: unknown;
}

/** Authentication with a per-IP limit on failures, shared by HTTP and WebSocket. */
export interface AuthGate {
  /**
   * Authenticates; throws AuthenticationError for bad credentials and RateLimitedError when the client
   * has failed too often. No credentials gives `null`.
   */
  authenticate(credentials: Credentials, ip: string, transport: "http" | "ws"): Promise<Viewer | null>;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/** Creates an {@link AuthGate}. */
export function createAuthGate(authenticator: Authenticator, failures: RateLimiter, metrics: Metrics): AuthGate {
  return {
    async authenticate(credentials, ip, transport) {
      if (!present(credentials.authorization) && !present(credentials.apiKey)) return null;
      // A JWT this instance already verified costs nothing to accept and cannot be a guessing attempt.
      if (!present(credentials.apiKey)) {
        const known = authenticator.remembered(credentials.authorization);
        if (known !== undefined) return known;
      }
      await failures.check(ip);
      try {
        return await authenticator.authenticate(credentials);
      } catch (e) {
        if (!(e instanceof AuthenticationError)) throw e;
        metrics.authFailure(transport);
        try {
          await failures.consume(ip);
        } catch (limit) {
          if (!(limit instanceof RateLimitedError)) throw limit;
        }
        throw e;
      }
    },
  };
}
