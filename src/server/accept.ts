/** The JSON media types a GraphQL result can be answered with. */
export const JsonMediaType = Object.freeze({
  JSON: "application/json",
  GRAPHQL_RESPONSE: "application/graphql-response+json",
} as const);
/** One of {@link JsonMediaType}. */
export type JsonMediaType = (typeof JsonMediaType)[keyof typeof JsonMediaType];

const matches = (asked: string, type: string, subtype: string) => {
  const slash = asked.indexOf("/");
  const pre = asked.slice(0, slash);
  const suf = asked.slice(slash + 1);
  return slash > 0 && (pre === "*" || pre === type) && (suf === "*" || suf === subtype);
};

/**
 * The JSON media type a single (non-streamed) result is answered with for an `Accept` header, decided as
 * Yoga 5 decides it: the first listed type that JSON satisfies wins, `q` weights are not ranked, a type
 * with a charset other than utf-8 is skipped, and a wildcard (`*` + `/*`, `application/*`) gets
 * `application/json`. Undefined when no listed type takes JSON (e.g. only `text/event-stream`).
 */
export function negotiateJson(accept: string | undefined): JsonMediaType | undefined {
  const header = accept === undefined || accept === "" ? "*/*" : accept;
  // A client sends the same header on every request: each distinct one is parsed once.
  if (negotiated.has(header)) return negotiated.get(header);
  const type = parse(header);
  if (negotiated.size >= NEGOTIATED_MAX) negotiated.clear();
  negotiated.set(header, type);
  return type;
}

const NEGOTIATED_MAX = 256;
const negotiated = new Map<string, JsonMediaType | undefined>();

function parse(header: string): JsonMediaType | undefined {
  for (const entry of header.replace(/\s/g, "").toLowerCase().split(",")) {
    const [type = "", ...params] = entry.split(";");
    const charset = params.find((p) => p.includes("charset=")) ?? "charset=utf-8";
    if (charset !== "charset=utf-8") continue;
    if (matches(type, "application", "json")) return JsonMediaType.JSON;
    if (matches(type, "application", "graphql-response+json")) return JsonMediaType.GRAPHQL_RESPONSE;
  }
  return undefined;
}
