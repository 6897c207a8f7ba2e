import type { Authenticator, Viewer } from "../auth/authenticator.js";
import { AuthenticationError, RateLimitedError } from "../errors/service-errors.js";
import type { AddressVerifications } from "../limits/address-verifications.js";
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
   * Authenticates; throws AuthenticationError for bad credentials and RateLimitedError when the client's
   * address is over its failure limit and its credential could not be checked. No credentials gives `null`.
   */
  authenticate(credentials: Credentials, ip: string, transport: "http" | "ws"): Promise<Viewer | null>;
}

/** Options of {@link createAuthGate}. */
export interface AuthGateOptions {
  readonly authenticator: Authenticator;
  /** Counts failed authentications per address. */
  readonly failures: RateLimiter;
  /** Paces JWT verifications per address. */
  readonly verifications: AddressVerifications;
  readonly metrics: Metrics;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * Creates an {@link AuthGate}. The failure limit counts failures, never verifications in flight, so valid
 * callers behind one address (a carrier NAT, a school) are never refused for being many:
 * - an API key is compared first (constant time, cheap): a valid key is never refused, since guessing
 *   a 16+ character key is not feasible but locking out a game server is;
 * - a JWT this instance already verified is accepted without any check;
 * - any other JWT waits for one of its address's few verification slots, is verified, and only a
 *   failure is counted. The slots bound how many can be verified before the count catches up.
 * - once an address is over its limit, its unknown JWTs are refused before verification, except for one
 *   probe per interval: a burst of bad JWTs costs the limit plus one verification a second, and a valid
 *   player who comes after it gets through.
 */
export function createAuthGate(options: AuthGateOptions): AuthGate {
  const { authenticator, failures, verifications, metrics } = options;
  const charge = async (ip: string, transport: "http" | "ws"): Promise<void> => {
    metrics.authFailure(transport);
    try {
      await failures.consume(ip);
    } catch (e) {
      // Over the limit now: the next unknown credential from this address is refused before verification.
      if (!(e instanceof RateLimitedError)) throw e;
    }
  };
  const overLimit = async (ip: string): Promise<RateLimitedError | undefined> => {
    try {
      await failures.check(ip);
      return undefined;
    } catch (e) {
      if (e instanceof RateLimitedError) return e;
      throw e;
    }
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
          metrics.authFailure(transport);
          // A bad key is cheap to check, so it is counted (and refused once over the limit) after the check.
          await failures.consume(ip);
          throw e;
        }
      }
      const known = authenticator.remembered(credentials.authorization);
      if (known !== undefined) return known;
      const slot = await verifications.acquire(ip);
      try {
        const limited = await overLimit(ip);
        if (limited !== undefined && !verifications.takeProbe(ip)) {
          metrics.authFailure(transport);
          throw new RateLimitedError(Math.ceil(verifications.nextProbeInMs(ip) / 1000));
        }
        try {
          return await authenticator.authenticate(credentials);
        } catch (e) {
          if (e instanceof AuthenticationError) await charge(ip, transport);
          throw e;
        }
      } finally {
        slot.release();
      }
    },
  };
}
