import { GraphQLError } from "graphql";
import { maskError as yogaMaskError } from "graphql-yoga";
import { AccessDeniedError, AuthenticationError, RateLimitedError, UnavailableError } from "../errors/service-errors.js";
import { InvalidArgumentError } from "../token/index.js";

/** The stable GraphQL error codes every error leaving the server carries in `extensions.code`. */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  RATE_LIMITED: "RATE_LIMITED",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
/** One of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Maps a typed service error to its GraphQL code and public extensions; `undefined` for anything else. */
export function classify(error: unknown): { code: ErrorCode; message: string; extensions?: Record<string, unknown> } | undefined {
  if (error instanceof InvalidArgumentError) return { code: ErrorCode.BAD_USER_INPUT, message: error.message, extensions: { field: error.field } };
  if (error instanceof AuthenticationError) return { code: ErrorCode.UNAUTHENTICATED, message: error.message };
  if (error instanceof AccessDeniedError) return { code: ErrorCode.FORBIDDEN, message: error.message };
  if (error instanceof UnavailableError) return { code: ErrorCode.UNAVAILABLE, message: error.message };
  if (error instanceof RateLimitedError) {
    // `http` steers the HTTP status (429 + Retry-After); transports strip it from the payload.
    const retryAfter = error.retryAfterSeconds;
    return {
      code: ErrorCode.RATE_LIMITED,
      message: error.message,
      extensions: { retryAfterSeconds: retryAfter, http: { status: 429, headers: { "retry-after": String(retryAfter) } } },
    };
  }
  return undefined;
}

/**
 * The code of an expected refusal (a typed service error, bare or as a GraphQL error's `originalError`),
 * or `undefined` for anything unexpected.
 */
export function refusalCode(error: unknown): ErrorCode | undefined {
  const original = isGraphQLErrorLike(error) ? error.originalError : error;
  return classify(original ?? error)?.code;
}

/** A GraphQL error with a stable code. */
export function codedError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

function isGraphQLErrorLike(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === "GraphQLError";
}

/**
 * Yoga's `maskError`: typed service errors become their GraphQL code, GraphQL errors we raised pass,
 * anything else is masked as INTERNAL_SERVER_ERROR with a generic message.
 */
export function maskError(error: unknown, message: string): Error {
  // Duck-typed: test runners and bundlers can load two copies of graphql, breaking instanceof.
  const wrapped = isGraphQLErrorLike(error) ? error : undefined;
  const mapped = classify(wrapped === undefined ? error : wrapped.originalError);
  if (mapped !== undefined) {
    return new GraphQLError(mapped.message, {
      ...(wrapped === undefined ? {} : { nodes: wrapped.nodes, path: wrapped.path, positions: wrapped.positions, source: wrapped.source }),
      extensions: { ...mapped.extensions, code: mapped.code },
    });
  }
  return yogaMaskError(error, message, false);
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Gives every error leaving the server one of the codes of {@link ErrorCode}: request-shape errors (parse, validation,
 * query limits, variables, bad JSON) become BAD_USER_INPUT, and `originalError` details are dropped so
 * no echo of the request (which may hold a credential) goes back.
 */
export function normalizeError(error: GraphQLError): GraphQLError {
  const { originalError: _dropped, code, ...rest } = (error.extensions ?? {}) as Record<string, unknown>;
  const normalized = typeof code === "string" && KNOWN_CODES.has(code) ? code : ErrorCode.BAD_USER_INPUT;
  // A malformed request (bad JSON, wrong method) is answered with 400 whatever the Accept header.
  // Yoga's own status and headers (405 with Allow for a mutation over GET) are kept, but not its `spec`
  // flag, which would turn them into 200 under application/json.
  if (code === "BAD_REQUEST") {
    const http = (rest["http"] ?? {}) as { status?: number; headers?: Record<string, string> };
    rest["http"] = { status: http.status ?? 400, ...(http.headers === undefined ? {} : { headers: http.headers }) };
  }
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    positions: error.positions,
    source: error.source,
    path: error.path,
    extensions: { ...rest, code: normalized },
  });
}
