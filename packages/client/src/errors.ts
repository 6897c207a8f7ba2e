/** An error from the token service or from reaching it, with a stable string `code`. */
export class TokenServiceError extends Error {
  override readonly name = "TokenServiceError";
  /** The service's `extensions.code`, or NETWORK_ERROR / BAD_RESPONSE / ENGINE_ERROR / CONNECTION_ERROR. */
  readonly code: string;
  /** The error's other extensions, as the service sent them. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, extensions: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.extensions = extensions;
  }
}

/** Codes a caller may retry (the mutations are idempotent). */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(["UNAVAILABLE", "NETWORK_ERROR", "RATE_LIMITED"]);

/** Wraps anything thrown as a {@link TokenServiceError}. */
export function toServiceError(error: unknown, fallbackCode: string): TokenServiceError {
  if (error instanceof TokenServiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TokenServiceError(fallbackCode, message, {}, { cause: error });
}
