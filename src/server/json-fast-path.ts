import type { IncomingMessage, ServerResponse } from "node:http";
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "../graphql/context.js";
import { codedError, ErrorCode, normalizeError } from "../graphql/errors.js";
import type { Logger } from "../log/logger.js";
import { JsonMediaType, negotiateJson } from "./accept.js";
import { prepareDocument } from "./prepare-document.js";
import type { ServerContext } from "./yoga.js";

/**
 * The hot path: a POST of a JSON GraphQL request that wants a JSON answer (every `issueToken` and every
 * game-server mutation). It runs the same envelop pipeline as Yoga (schema, auth context, armor limits,
 * parse/validate cache, error masking) but skips the WHATWG Request/Response adaptation, which cost more
 * than half the CPU of a request (see docs/BENCHMARKS.md). Anything else goes to Yoga.
 */
export function isFastPathRequest(req: IncomingMessage, path: string): boolean {
  if (req.method !== "POST" || path !== "/graphql") return false;
  const type = req.headers["content-type"];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) return false;
  return negotiateJson(req.headers.accept) !== undefined;
}

const VALID_DOCUMENTS_SIZE = 1000;
const CACHED_QUERY_MAX_LENGTH = 4096;

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

function parseParams(body: string): Params | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "POST body sent invalid JSON.";
  }
  if (Array.isArray(parsed)) return "Batching is not supported.";
  if (typeof parsed !== "object" || parsed === null) return "POST body is expected to be an object.";
  const { query, variables, operationName } = parsed as Record<string, unknown>;
  if (typeof query !== "string") return 'Request body must contain a "query" string.';
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return 'Invalid "variables": expected an object.';
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return 'Invalid "operationName": expected a string.';
  return { query, variables: (variables ?? null) as Record<string, unknown> | null, operationName: (operationName ?? null) as string | null };
}

// The `http` extension steers the status code and headers; like Yoga, keep it out of the body.
function withoutHttp(error: GraphQLError): unknown {
  const json = error.toJSON();
  if (json.extensions === undefined || !("http" in json.extensions)) return json;
  const { http: _http, ...extensions } = json.extensions;
  return { ...json, extensions };
}

const CONTENT_TYPES: Readonly<Record<JsonMediaType, string>> = {
  [JsonMediaType.JSON]: `${JsonMediaType.JSON}; charset=utf-8`,
  [JsonMediaType.GRAPHQL_RESPONSE]: `${JsonMediaType.GRAPHQL_RESPONSE}; charset=utf-8`,
};

/** How one response is encoded: its media type, and the status of a request error under it. */
interface Answer {
  readonly res: ServerResponse;
  readonly contentType: string;
  /** Request errors (no `data`: parse, validation, limits) answer 200 under application/json, 400 under the GraphQL media type. */
  readonly requestErrorStatus: number;
}

function send(answer: Answer, status: number, result: ExecutionResult, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(result.errors === undefined ? result : { ...result, errors: result.errors.map(withoutHttp) });
  answer.res.writeHead(status, { "content-type": answer.contentType, "content-length": String(Buffer.byteLength(body)), ...headers }).end(body);
}

/** The status and headers errors ask for through `extensions.http` (the highest status wins), as Yoga does. */
function httpOf(errors: readonly GraphQLError[], defaultStatus: number): { status: number; headers: Record<string, string> } {
  let status = defaultStatus;
  const headers: Record<string, string> = {};
  for (const e of errors) {
    const http = e.extensions["http"] as { status?: number; headers?: Record<string, string> } | undefined;
    if (http?.status !== undefined && http.status > status) status = http.status;
    Object.assign(headers, http?.headers ?? {});
  }
  return { status, headers };
}

function sendErrors(answer: Answer, errors: readonly GraphQLError[], defaultStatus: number): void {
  const normalized = errors.map(normalizeError);
  const { status, headers } = httpOf(normalized, defaultStatus);
  send(answer, status, { errors: normalized }, headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/** Options of {@link createJsonFastPath}. */
export interface JsonFastPathOptions {
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
}

/** Creates the handler for requests that pass {@link isFastPathRequest}. */
export function createJsonFastPath(options: JsonFastPathOptions): (req: IncomingMessage, res: ServerResponse, logger: Logger) => Promise<void> {
  const { yoga } = options;
  // Parse and validate go through every plugin's hooks and Yoga's caches on each request. Their outcome
  // depends only on the query text (one schema, fixed rules, no request state), so a text that passed
  // once is remembered with its document; failures are not remembered and go through the hooks again.
  const validDocuments = new Map<string, DocumentNode>();
  return async (req, res, logger) => {
    const mediaType = negotiateJson(req.headers.accept) ?? JsonMediaType.JSON;
    const answer: Answer = { res, contentType: CONTENT_TYPES[mediaType], requestErrorStatus: mediaType === JsonMediaType.JSON ? 200 : 400 };
    const body = await readBody(req);
    const params = parseParams(body);
    if (typeof params === "string") return sendErrors(answer, [codedError(ErrorCode.BAD_USER_INPUT, params)], 400);
    const enveloped = yoga.getEnveloped({ req, res, logger, params });
    let document = validDocuments.get(params.query);
    if (document === undefined) {
      const prepared = prepareDocument(enveloped, params.query);
      if ("errors" in prepared) return send(answer, answer.requestErrorStatus, { errors: prepared.errors.map(normalizeError) });
      document = prepared.document;
      if (params.query.length <= CACHED_QUERY_MAX_LENGTH) {
        if (validDocuments.size >= VALID_DOCUMENTS_SIZE) validDocuments.clear();
        validDocuments.set(params.query, document);
      }
    }
    const { schema, contextFactory, execute } = enveloped;
    const operation = getOperationAST(document, params.operationName);
    // Yoga's own words (usePreventMutationViaGET), so both paths answer alike.
    if (operation === null || operation === undefined) return sendErrors(answer, [codedError(ErrorCode.BAD_USER_INPUT, "Could not determine what operation to execute.")], 400);
    // A subscription is streamed (or refused) by Yoga itself. The body is already read: Yoga's adapter
    // takes it from a `body` property, as behind a body-parsing framework, here on a view of the request.
    if (operation.operation === "subscription") {
      const replay = Object.create(req, { body: { value: body } }) as IncomingMessage;
      return yoga.handle(replay, res, { req, res, logger });
    }
    let contextValue: GraphQLContext;
    try {
      contextValue = (await contextFactory()) as GraphQLContext;
    } catch (e) {
      if (e instanceof Error && e.name === "GraphQLError") return sendErrors(answer, [e as GraphQLError], 200);
      throw e;
    }
    const result = (await execute({ schema, document, contextValue, variableValues: params.variables, operationName: params.operationName, rootValue: {} })) as ExecutionResult;
    if (result.errors === undefined) return send(answer, 200, result);
    const errors = result.errors.map(normalizeError);
    // No `data`: the operation could not start (no such operation, variables that do not coerce).
    if (!("data" in result) || result.data === undefined) return sendErrors(answer, errors, answer.requestErrorStatus);
    const { status, headers } = httpOf(errors, 200);
    send(answer, status, { ...result, errors }, headers);
  };
}
