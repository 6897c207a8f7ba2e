/** The caller presented no valid credential. */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  readonly code = "AUTHENTICATION_FAILED" as const;
}

/** The caller is known but may not do this (wrong role, not a member of a members-only room). */
export class AccessDeniedError extends Error {
  override readonly name = "AccessDeniedError";
  readonly code = "ACCESS_DENIED" as const;
}

/** Shared state (Redis) could not be reached; nothing was changed. */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
  readonly code = "UNAVAILABLE" as const;
  constructor(message = "shared state is unavailable, try again", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Too many requests; retry after the given number of seconds. */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  readonly code = "RATE_LIMITED" as const;
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = "too many requests, slow down") {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A room change is stored on the Redis primary, but fewer replicas than `REDIS_WAIT_REPLICAS` confirmed
 * it in time, so a failover could still lose it: it is not acknowledged (UNAVAILABLE). `result` is what
 * the primary holds, so subscribers can still be told.
 */
export class UnconfirmedWriteError<T = unknown> extends UnavailableError {
  readonly result: T;
  constructor(result: T, message = "the change is not confirmed by enough Redis replicas; retry it") {
    super(message);
    this.result = result;
  }
}
