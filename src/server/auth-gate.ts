import type { Authenticator, Viewer } from "../auth/authenticator.js";
import { AuthenticationError } from "../errors/service-errors.js";
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
   * Authenticates; throws AuthenticationError for bad credentials and RateLimitedError (from the
   * failure limiter) when the client has failed too often. No credentials gives `null`.
   */
  authenticate(credentials: Credentials, ip: string, transport: "http" | "ws"): Promise<Viewer | null>;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * Creates an {@link AuthGate}. The failure limit protects the verifier from guessing floods without
 * locking out valid callers:
 * - an API key is compared first (constant time, cheap): a valid key is never refused, since guessing
 *   a 16+ character key is not feasible but locking out a game server is;
 * - a JWT this instance already verified is accepted without any check;
 * - any other JWT reserves a failure point before it is verified (so concurrent bad JWTs cannot all be
 *   verified while the count lags), and the point is given back when the JWT is valid.
 */
export function createAuthGate(authenticator: Authenticator, failures: RateLimiter, metrics: Metrics): AuthGate {
  const fail = async (ip: string, transport: "http" | "ws", error: AuthenticationError, charged: boolean): Promise<never> => {
    metrics.authFailure(transport);
    if (!charged) await failures.consume(ip);
    throw error;
  };
  return {
    async authenticate(credentials, ip, transport) {
      if (!present(credentials.authorization) && !present(credentials.apiKey)) return null;
      if (present(credentials.apiKey)) {
        try {
          const viewer = await authenticator.authenticate(credentials);
          if (viewer?.kind === "SERVICE") metrics.serviceAuthenticated(viewer.keyName, transport);
          return viewer;
        } catch (e) {
          if (!(e instanceof AuthenticationError)) throw e;
          return fail(ip, transport, e, false);
        }
      }
      const known = authenticator.remembered(credentials.authorization);
      if (known !== undefined) return known;
      await failures.consume(ip);
      try {
        const viewer = await authenticator.authenticate(credentials);
        await failures.refund(ip);
        return viewer;
      } catch (e) {
        if (!(e instanceof AuthenticationError)) {
          await failures.refund(ip);
          throw e;
        }
        return fail(ip, transport, e, true);
      }
    },
  };
}
