import type { GraphQLSchema } from "graphql";
import { AuthenticationError } from "../errors/service-errors.js";
import type { RenewalEnded, TokenRenewal } from "../renewal/renewal-stream.js";
import type { RawRoomChange } from "../rooms/validate.js";
import { watchRoom } from "../rooms/room-watch.js";
import { assertRoomId, assertStreamId, assertUserId, BASIC_TOKEN_NOTE, decodeToken04, InvalidArgumentError, TokenError, verifyToken04, type DecodedToken04 } from "../token/index.js";
import { builder } from "./builder.js";
import type { GraphQLContext } from "./context.js";
import {
  PublisherInput,
  RoomAccessEnum,
  RoomChangeRef,
  RoomRef,
  RoomTokenRef,
  TokenExpectationInput,
  TokenInspectionRef,
  TokenRenewalRef,
  ViewerRef,
  type TokenInspectionShape,
} from "./types.js";

function userIdOf(ctx: GraphQLContext): string {
  // Scope checks run first; this only narrows the type.
  if (ctx.viewer?.kind !== "USER") throw new AuthenticationError("authentication required");
  return ctx.viewer.userId;
}

/** The caller's JWT expiry in ms (users only): tokens and streams do not outlive it. */
function credentialExpiry(ctx: GraphQLContext): { credentialExpiresAtMs?: number } {
  return ctx.viewer?.kind === "USER" && ctx.viewer.expiresAt > 0 ? { credentialExpiresAtMs: ctx.viewer.expiresAt * 1000 } : {};
}

/** The room a user asks for; without one, a basic token, which only ALLOW_BASIC_TOKENS permits. */
function requestedRoomId(ctx: GraphQLContext, value: string | null | undefined): string | null {
  if (value !== null && value !== undefined) return assertRoomId(value);
  if (!ctx.services.config.allowBasicTokens) {
    throw new InvalidArgumentError("roomId", "is required: basic tokens (no room) are disabled on this service");
  }
  return null;
}

function inspection(decoded: DecodedToken04 | undefined, error: TokenError | undefined): TokenInspectionShape {
  const basic = decoded !== undefined && decoded.privilege === null;
  return {
    valid: error === undefined,
    restricted: decoded === undefined ? null : !basic,
    note: basic ? BASIC_TOKEN_NOTE : null,
    code: error?.code ?? null,
    zegoErrorCode: error?.zegoErrorCode ?? null,
    mode: decoded?.mode ?? null,
    appId: decoded?.appId ?? null,
    userId: decoded?.userId ?? null,
    roomId: decoded?.privilege?.roomId ?? null,
    nonce: decoded?.nonce ?? null,
    issuedAt: decoded === undefined ? null : new Date(decoded.issuedAt * 1000),
    expiresAt: decoded === undefined ? null : new Date(decoded.expiresAt * 1000),
    canLoginRoom: decoded === undefined ? null : (decoded.privilege?.canLoginRoom ?? true),
    canPublish: decoded === undefined ? null : (decoded.privilege?.canPublish ?? true),
    streamIds: decoded?.privilege?.streamIds ?? null,
  };
}

async function change(ctx: GraphQLContext, roomId: string, raw: RawRoomChange) {
  // Scope checks admit services only; the key's name is the change's actor in the room's history.
  const actor = ctx.viewer?.kind === "SERVICE" ? ctx.viewer.keyName : "unknown";
  const room = await ctx.services.rooms.change(roomId, raw, actor);
  // An audit line per game-server change, carrying the API key's name (from the request logger).
  ctx.logger.info("room changed", { operation: raw.kind, roomId: room.roomId, version: room.version });
  return room;
}

builder.queryType({
  fields: (t) => ({
    viewer: t.field({
      type: ViewerRef,
      authScopes: { authenticated: true },
      resolve: (_root, _args, ctx) => ctx.viewer as NonNullable<GraphQLContext["viewer"]>,
    }),
    serverTime: t.field({
      type: "DateTime",
      description: "The server's clock, for clients to correct their skew.",
      resolve: (_root, _args, ctx) => new Date(ctx.services.clock.now()),
    }),
    room: t.field({
      type: RoomRef,
      authScopes: { service: true },
      args: { roomId: t.arg.string({ required: true }) },
      resolve: (_root, args, ctx) => ctx.services.rooms.get(args.roomId),
    }),
    roomHistory: t.field({
      type: [RoomChangeRef],
      authScopes: { service: true },
      description: "The room's last committed changes (at most ROOM_HISTORY_LENGTH are kept), oldest first.",
      args: { roomId: t.arg.string({ required: true }), last: t.arg.int({ required: false, defaultValue: 50 }) },
      resolve: (_root, args, ctx) => ctx.services.rooms.history(args.roomId, args.last),
    }),
    inspectToken: t.field({
      type: TokenInspectionRef,
      authScopes: { service: true },
      description: "Checks a token against this service's app and secret, as ZEGO's server would.",
      args: { token: t.arg.string({ required: true }), expect: t.arg({ type: TokenExpectationInput, required: false }) },
      resolve: (_root, args, ctx) => {
        const { config, clock } = ctx.services;
        const expect = args.expect ?? {};
        const options = {
          secret: config.serverSecret,
          appId: config.appId,
          now: Math.floor(clock.now() / 1000),
          ...(expect.userId == null ? {} : { userId: assertUserId(expect.userId, "expect.userId") }),
          ...(expect.roomId == null ? {} : { roomId: assertRoomId(expect.roomId, "expect.roomId") }),
          ...(expect.streamId == null ? {} : { streamId: assertStreamId(expect.streamId, "expect.streamId") }),
          ...(expect.publish == null ? {} : { publish: expect.publish }),
        };
        try {
          return inspection(verifyToken04(args.token, options), undefined);
        } catch (e) {
          if (!(e instanceof TokenError)) throw e;
          let decoded: DecodedToken04 | undefined;
          try {
            decoded = decodeToken04(args.token, { secret: options.secret, now: options.now });
          } catch {
            decoded = undefined;
          }
          return inspection(decoded, e);
        }
      },
    }),
  }),
});

builder.mutationType({
  fields: (t) => ({
    issueToken: t.field({
      type: RoomTokenRef,
      authScopes: { user: true },
      description: "A token for the caller: a privilege token for roomId, or a basic token without it (only where ALLOW_BASIC_TOKENS is on).",
      args: { roomId: t.arg.string({ required: false }), effectiveTimeInSeconds: t.arg.int({ required: false }) },
      resolve: async (_root, args, ctx) => {
        const userId = userIdOf(ctx);
        const { issuer, issueLimit } = ctx.services;
        const ttl = issuer.capTtl(issuer.ttl(args.effectiveTimeInSeconds), credentialExpiry(ctx).credentialExpiresAtMs);
        const roomId = requestedRoomId(ctx, args.roomId);
        await issueLimit.consume(userId);
        return issuer.issue(userId, roomId, ttl);
      },
    }),
    grantPublish: t.field({
      type: RoomRef,
      authScopes: { service: true },
      description: "Lets a user publish (only streamIds, if given). Pushes a new token to them.",
      args: { roomId: t.arg.string({ required: true }), userId: t.arg.string({ required: true }), streamIds: t.arg.stringList({ required: false }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "grantPublish", userId: args.userId, streamIds: args.streamIds }),
    }),
    revokePublish: t.field({
      type: RoomRef,
      authScopes: { service: true },
      args: { roomId: t.arg.string({ required: true }), userId: t.arg.string({ required: true }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "revokePublish", userId: args.userId }),
    }),
    setPublishers: t.field({
      type: RoomRef,
      authScopes: { service: true },
      description: "Atomically replaces who may publish; if any entry is invalid nothing changes.",
      args: { roomId: t.arg.string({ required: true }), publishers: t.arg({ type: [PublisherInput], required: true }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "setPublishers", publishers: args.publishers }),
    }),
    setRoomAccess: t.field({
      type: RoomRef,
      authScopes: { service: true },
      description:
        "Sets who may log in. With members, the member list is replaced in the same change (one version, one history entry; removed members lose publish too): nobody who stays is logged out on the way.",
      args: { roomId: t.arg.string({ required: true }), access: t.arg({ type: RoomAccessEnum, required: true }), members: t.arg.stringList({ required: false }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "setAccess", access: args.access, members: args.members }),
    }),
    addRoomMembers: t.field({
      type: RoomRef,
      authScopes: { service: true },
      args: { roomId: t.arg.string({ required: true }), userIds: t.arg.stringList({ required: true }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "addMembers", userIds: args.userIds }),
    }),
    removeRoomMembers: t.field({
      type: RoomRef,
      authScopes: { service: true },
      args: { roomId: t.arg.string({ required: true }), userIds: t.arg.stringList({ required: true }) },
      resolve: (_root, args, ctx) => change(ctx, args.roomId, { kind: "removeMembers", userIds: args.userIds }),
    }),
  }),
});

builder.subscriptionType({
  fields: (t) => ({
    tokenRenewed: t.field({
      type: TokenRenewalRef,
      authScopes: { user: true },
      // The argument is documented here, so the printed signature stays on one line.
      description: [
        "Fresh tokens for the caller in a room (or basic tokens without roomId): at once unless heldToken shows the token the caller should have, before expiry, and on every privilege change.",
        "heldToken: the token04 the client holds now (the last one it applied); send it on every (re)subscription. If it is a token this service minted for this app, user and room, unexpired, with more than the renewal lead left and exactly the rights the caller has now, nothing is pushed at once and the next renewal comes before its expiry. Otherwise the current token is pushed at once: INITIAL when none is shown or it is not usable (foreign, expired, malformed: never an error), RESYNC when it grants other rights, EXPIRING when it is about to expire.",
      ].join("\n\n"),
      args: { roomId: t.arg.string({ required: false }), heldToken: t.arg.string({ required: false }) },
      subscribe: (_root, args, ctx) => {
        const userId = userIdOf(ctx);
        const roomId = requestedRoomId(ctx, args.roomId);
        const { hub, issueLimit } = ctx.services;
        return hub.subscribe(userId, roomId, {
          ...credentialExpiry(ctx),
          ...(typeof args.heldToken === "string" ? { heldToken: args.heldToken } : {}),
          // A token owed at once is minted at the user's request: it counts against their limit like issueToken.
          chargeInitial: () => issueLimit.consume(userId),
        });
      },
      resolve: (item: TokenRenewal | RenewalEnded) => {
        if ("ended" in item) throw item.ended;
        return item;
      },
    }),
  }),
});

builder.subscriptionField("roomChanged", (t) =>
  t.field({
    type: RoomRef,
    authScopes: { service: true },
    description: "The room's state now, then after each committed change by any instance (changes in a burst may coalesce into one).",
    args: { roomId: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx) =>
      watchRoom({ bus: ctx.services.bus, read: (roomId) => ctx.services.rooms.get(roomId), roomId: assertRoomId(args.roomId) }),
    resolve: (room) => room,
  }),
);

let schema: GraphQLSchema | undefined;

/** The service's GraphQL schema (built once). */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
