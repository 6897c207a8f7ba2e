import type { IncomingMessage, ServerResponse } from "node:http";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { NoSchemaIntrospectionCustomRule, subscribe, type GraphQLError } from "graphql";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { Viewer } from "../auth/authenticator.js";
import { AuthenticationError, RateLimitedError } from "../errors/service-errors.js";
import type { GraphQLContext, Services } from "../graphql/context.js";
import { classify, codedError, ErrorCode, maskError, normalizeError, refusalCode } from "../graphql/errors.js";
import { buildSchema } from "../graphql/schema.js";
import { errorName, type Logger } from "../log/logger.js";
import { JsonMediaType, negotiateJson } from "./accept.js";
import type { AuthGate } from "./auth-gate.js";
import type { ClientIpResolver } from "./client-ip.js";
import { RefusalReason, type RefusalLog } from "./refusal-log.js";

/** What the Node adapter and the WebSocket adapter pass in. */
export interface ServerContext {
  req: IncomingMessage;
  res?: ServerResponse;
  /** Set by the HTTP handler or the WebSocket connection. */
  logger: Logger;
  /** Set for graphql-ws operations, authenticated at connection_init. */
  viewer?: Viewer | null;
}

const GRAPHIQL_QUERY = `# Alice joins room1. Put a JWT printed by \`npm start\` in the Headers tab below:
#   { "authorization": "Bearer <JWT>" }
mutation Join {
  issueToken(roomId: "room1") { token canPublish streamIds expiresAt renewAt }
}

# Then run this in a second tab to watch her renewals (pushed over SSE):
# subscription Renewals { tokenRenewed(roomId: "room1") { reason token { token canPublish streamIds } } }

# A game server (Headers: {"x-api-key": "<service key>"}) gives her the mic:
# mutation Grant { grantPublish(roomId: "room1", userId: "alice", streamIds: ["room1_alice"]) { version } }
`;

/** GraphiQL settings: an example to start from, and subscriptions over POST SSE (no CSRF header needed). */
const GRAPHIQL = Object.freeze({
  title: "ZEGO token service",
  defaultQuery: GRAPHIQL_QUERY,
  // Empty until the user pastes a credential: a placeholder would fail the schema introspection.
  headers: "{}",
  subscriptionsProtocol: "GRAPHQL_SSE" as const,
  // Queries over GET need the CSRF header; GraphiQL sends it on every request.
  additionalHeaders: { "x-graphql-yoga-csrf": "graphiql" },
  favicon: "data:,",
});

/** Limits applied to every operation, over HTTP and WebSocket alike. */
export const QUERY_LIMITS = Object.freeze({ maxDepth: 10, maxAliases: 15, maxTokens: 1000, maxDirectives: 10, maxCost: 5000 });

/** Options of {@link createTokenYoga}. */
export interface TokenYogaOptions {
  readonly services: Services;
  readonly gate: AuthGate;
  /** The client address per-IP limits count under. */
  readonly clientIp: ClientIpResolver;
  readonly production: boolean;
  /** For Yoga's own warnings and errors (only error names are logged). */
  readonly logger: Logger;
  /** Where refused credentials are noted (rate-limited, with the request id). */
  readonly refusals: RefusalLog;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// Logs errors that are about to be masked, with the request's id; their messages stay out of responses.
// UNAVAILABLE is expected while Redis fails over: a warning, not an error.
const logUnexpectedErrors = ({ args, result }: { args: { contextValue: GraphQLContext }; result: object }): void => {
  const errors = "errors" in result && Array.isArray(result.errors) ? result.errors : [];
  for (const e of errors) {
    const original = (e as { originalError?: unknown }).originalError;
    if (original === undefined) continue;
    const code = classify(original)?.code;
    if (code === ErrorCode.UNAVAILABLE) args.contextValue.logger.warn("refused: shared state unavailable", { code, error: errorName(original) });
    else if (code === undefined && (original as Error).name !== "GraphQLError") args.contextValue.logger.error("unexpected error", { error: errorName(original) });
  }
};
// One hooks object for every execution rather than new closures per request.
const UNEXPECTED_ERROR_HOOKS = Object.freeze({ onExecuteDone: logUnexpectedErrors, onSubscribeResult: logUnexpectedErrors });
const useUnexpectedErrorLog: Plugin<GraphQLContext> = { onExecute: () => UNEXPECTED_ERROR_HOOKS, onSubscribe: () => UNEXPECTED_ERROR_HOOKS };

interface ResultLike {
  errors?: readonly GraphQLError[];
}

// Rewrites error codes on every HTTP result (single, batched); streams are left alone.
// Under the GraphQL-over-HTTP media type, a request error (no `data`: parse, validation) answers 400.
const REQUEST_ERROR_HTTP = Object.freeze({ status: 400 });

const useErrorCodes: Plugin = {
  onResultProcess({ request, result, setResult }) {
    const graphqlResponse = negotiateJson(request.headers.get("accept") ?? undefined) === JsonMediaType.GRAPHQL_RESPONSE;
    const fix = (r: unknown): unknown => {
      const errors = (r as ResultLike | null)?.errors;
      if (!Array.isArray(errors)) return r;
      const requestError = graphqlResponse && !("data" in (r as object));
      const normalized = errors.map((e) => {
        const n = normalizeError(e as GraphQLError);
        if (requestError && n.extensions["http"] === undefined) (n.extensions as Record<string, unknown>)["http"] = REQUEST_ERROR_HTTP;
        return n;
      });
      return { ...(r as object), errors: normalized };
    };
    if (Array.isArray(result)) setResult(result.map(fix) as typeof result);
    else if (typeof (result as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== "function") setResult(fix(result) as typeof result);
  },
};

// Yoga's introspection plugin keys on the HTTP request, so it misses graphql-ws; a validation rule covers both.
const useNoIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

const useGraphqlJsSubscribe: Plugin = {
  onSubscribe({ setSubscribeFn }) {
    setSubscribeFn(subscribe);
  },
};

/** The Yoga instance: schema, error masking, armor limits, CSRF prevention, no introspection in production. */
export function createTokenYoga(options: TokenYogaOptions): YogaServerInstance<ServerContext, GraphQLContext> {
  const { services, gate, production } = options;
  const plugins: Array<Plugin<Record<string, unknown>>> = [
    EnvelopArmorPlugin({
      maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true },
      maxAliases: { n: QUERY_LIMITS.maxAliases },
      maxTokens: { n: QUERY_LIMITS.maxTokens },
      maxDirectives: { n: QUERY_LIMITS.maxDirectives },
      costLimit: { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true },
      blockFieldSuggestion: { enabled: production },
    }) as Plugin<Record<string, unknown>>,
    useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf"] }) as Plugin<Record<string, unknown>>,
    useUnexpectedErrorLog as Plugin<Record<string, unknown>>,
    useErrorCodes as Plugin<Record<string, unknown>>,
    // Subscriptions run on graphql-js's own executor: every push executes the selection once, and
    // graphql-tools' executor (Yoga's default, kept for queries and mutations) allocates several times
    // more per event (promise helpers, per-event contexts, incremental-delivery bookkeeping we never use).
    useGraphqlJsSubscribe as Plugin<Record<string, unknown>>,
  ];
  if (production) plugins.push(useNoIntrospection as Plugin<Record<string, unknown>>);

  return createYoga<ServerContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: "/graphql",
    // CORS is answered in one place (src/server/cors.ts) for every path.
    cors: false,
    landingPage: false,
    // GraphiQL from the local package (no CDN, works offline); development only.
    graphiql: production ? false : GRAPHIQL,
    renderGraphiQL,
    batching: false,
    // The 64 KiB limit is enforced before Yoga reads anything (a POST needs a Content-Length; see
    // http-handler), so Yoga's streaming limiter would only add per-request work.
    maxRequestBodySize: false,
    maskedErrors: { maskError },
    plugins,
    logging: {
      debug: () => undefined,
      info: () => undefined,
      warn: (...args: unknown[]) => options.logger.warn("graphql warning", { error: errorName(args[0]) }),
      // Yoga reports every error it masks here, expected refusals too: those are logged (or not) with
      // the request's id by useUnexpectedErrorLog, so only unexpected ones are errors here.
      error: (...args: unknown[]) => {
        if (refusalCode(args[0]) === undefined) options.logger.error("graphql error", { error: errorName(args[0]) });
        else options.logger.debug("graphql refusal", { code: refusalCode(args[0]) });
      },
    },
    context: async ({ req, viewer, logger }) => {
      if (viewer !== undefined) return { viewer, services, logger };
      const ip = options.clientIp(req);
      try {
        const authed = await gate.authenticate({ authorization: header(req, "authorization"), apiKey: header(req, "x-api-key") }, ip, "http");
        // Game servers are named by their key's configured name in every log line of the request.
        return { viewer: authed, services, logger: authed?.kind === "SERVICE" ? logger.child({ keyName: authed.keyName }) : logger };
      } catch (e) {
        if (e instanceof AuthenticationError) {
          options.refusals.refused(ip, logger, { reason: RefusalReason.UNAUTHENTICATED, transport: "http" });
          throw codedError(ErrorCode.UNAUTHENTICATED, e.message, { http: { status: 401 } });
        }
        if (e instanceof RateLimitedError) {
          options.refusals.refused(ip, logger, { reason: RefusalReason.RATE_LIMITED, transport: "http" });
          throw codedError(ErrorCode.RATE_LIMITED, e.message, { retryAfterSeconds: e.retryAfterSeconds, http: { status: 429, headers: { "retry-after": String(e.retryAfterSeconds) } } });
        }
        throw e;
      }
    },
  });
}
