import { TokenServiceError } from "./errors.js";

/** The `fetch` the helpers need (the platform's global one fits). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

interface GraphQLErrorShape {
  message?: unknown;
  extensions?: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first error of a GraphQL error list as a {@link TokenServiceError}. */
export function fromGraphQLErrors(errors: unknown, fallbackCode = "INTERNAL_SERVER_ERROR"): TokenServiceError {
  const first: GraphQLErrorShape | undefined = Array.isArray(errors) && isRecord(errors[0]) ? errors[0] : undefined;
  const extensions = isRecord(first?.extensions) ? first.extensions : {};
  const code = typeof extensions.code === "string" ? extensions.code : fallbackCode;
  const message = typeof first?.message === "string" ? first.message : "request failed";
  return new TokenServiceError(code, message, extensions);
}

/** POSTs one GraphQL operation and returns its `data`, or throws a {@link TokenServiceError}. */
export async function postGraphQL(
  fetchImpl: FetchLike,
  url: string,
  headers: Record<string, string>,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let status: number;
  let body: unknown;
  try {
    const res = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    status = res.status;
    body = await res.json().catch(() => undefined);
  } catch (error) {
    throw new TokenServiceError("NETWORK_ERROR", "could not reach the token service", {}, { cause: error });
  }
  if (isRecord(body) && Array.isArray(body.errors) && body.errors.length > 0) throw fromGraphQLErrors(body.errors);
  if (status >= 500) throw new TokenServiceError("UNAVAILABLE", `token service answered HTTP ${status}`);
  if (!isRecord(body) || !isRecord(body.data)) throw new TokenServiceError("BAD_RESPONSE", `unexpected response (HTTP ${status})`);
  return body.data;
}
