import type { DocumentNode, GraphQLError, GraphQLSchema } from "graphql";
import { codedError, ErrorCode, normalizeError } from "../graphql/errors.js";

/** The parse and validate functions of an enveloped (plugin-wrapped) GraphQL pipeline. */
export interface EnvelopedParsing {
  readonly schema: GraphQLSchema;
  readonly parse: (source: string) => DocumentNode;
  readonly validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

/**
 * Parses and validates a query through the plugin pipeline, for both the HTTP fast path and graphql-ws.
 * Query limits (graphql-armor) throw from parse and validate instead of returning errors; every failure
 * comes back as normalized errors.
 */
export function prepareDocument(enveloped: EnvelopedParsing, query: string): { document: DocumentNode } | { errors: GraphQLError[] } {
  try {
    const document = enveloped.parse(query);
    const errors = enveloped.validate(enveloped.schema, document);
    return errors.length > 0 ? { errors: errors.map(normalizeError) } : { document };
  } catch (e) {
    const error = e instanceof Error && e.name === "GraphQLError" ? normalizeError(e as GraphQLError) : codedError(ErrorCode.BAD_USER_INPUT, "invalid query");
    return { errors: [error] };
  }
}
