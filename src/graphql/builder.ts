import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import type { GraphQLContext } from "./context.js";
import { codedError, ErrorCode } from "./errors.js";

/** The Pothos builder: `user` and `service` scopes decide who may call what. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: { user: boolean; service: boolean; authenticated: boolean };
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      user: ctx.viewer?.kind === "USER",
      service: ctx.viewer?.kind === "SERVICE",
      authenticated: ctx.viewer !== null,
    }),
    unauthorizedError: (_parent, ctx): GraphQLError =>
      ctx.viewer === null
        ? codedError(ErrorCode.UNAUTHENTICATED, "authentication required")
        : codedError(ErrorCode.FORBIDDEN, "not allowed for this caller"),
  },
});

builder.scalarType("DateTime", {
  description: "An instant, as an ISO-8601 string in UTC.",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw codedError(ErrorCode.BAD_USER_INPUT, "DateTime must be an ISO-8601 string");
    return date;
  },
});
