import type { Viewer } from "../auth/authenticator.js";
import type { RenewalReason, TokenRenewal } from "../renewal/renewal-stream.js";
import type { RoomToken } from "../renewal/token-issuer.js";
import type { Publisher, RoomState } from "../rooms/room.js";
import type { RoomHistoryEntry } from "../rooms/history.js";
import type { TokenHolder } from "../rooms/store.js";
import type { EnforcementView } from "../enforcement/store.js";
import { builder } from "./builder.js";
import type { GraphQLContext } from "./context.js";

/** A token check's outcome, as `inspectToken` returns it. */
export interface TokenInspectionShape {
  readonly valid: boolean;
  /** False for a basic token, which no room or stream restricts; null when undecodable. */
  readonly restricted: boolean | null;
  readonly note: string | null;
  readonly code: string | null;
  readonly zegoErrorCode: number | null;
  readonly mode: string | null;
  readonly appId: number | null;
  readonly userId: string | null;
  readonly roomId: string | null;
  readonly nonce: number | null;
  readonly issuedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly canLoginRoom: boolean | null;
  readonly canPublish: boolean | null;
  readonly streamIds: readonly string[] | null;
}

export const ViewerKindEnum = builder.enumType("ViewerKind", {
  description: "USER: an app user with a JWT. SERVICE: a game server with an API key.",
  values: ["USER", "SERVICE"] as const,
});

export const RoomAccessEnum = builder.enumType("RoomAccess", {
  description: "OPEN: anyone authenticated may log in. MEMBERS_ONLY: only listed members.",
  values: ["OPEN", "MEMBERS_ONLY"] as const,
});

export const RenewalReasonEnum = builder.enumType("RenewalReason", {
  description: "Why a token was pushed.",
  values: {
    INITIAL: { description: "The subscriber showed no usable token (heldToken absent, malformed, foreign or expired)." },
    EXPIRING: { description: "The previous token is about to expire." },
    PRIVILEGE_CHANGED: { description: "A game server changed this user's privileges." },
    RESYNC: { description: "Privileges changed while events or pushes were lost: after a Redis reconnect, or a heldToken granting other rights." },
  } satisfies Record<RenewalReason, { description: string }>,
});

export const ViewerRef = builder.objectRef<Viewer>("Viewer").implement({
  description: "The authenticated caller.",
  fields: (t) => ({
    userId: t.exposeString("userId"),
    kind: t.field({ type: ViewerKindEnum, resolve: (v) => v.kind }),
  }),
});

export const PublisherRef = builder.objectRef<Publisher>("Publisher").implement({
  description: "A user allowed to publish.",
  fields: (t) => ({
    userId: t.exposeString("userId"),
    streamIds: t.stringList({ nullable: true, description: "Allowed stream IDs; null means any.", resolve: (p) => (p.streamIds === null ? null : [...p.streamIds]) }),
  }),
});

type LiveStreamShape = EnforcementView["liveStreams"][number];

export const LiveStreamRef = builder.objectRef<LiveStreamShape>("LiveStream").implement({
  description: "A stream ZEGO reported as publishing (from its stream callbacks).",
  fields: (t) => ({
    streamId: t.exposeString("streamId"),
    userId: t.exposeString("userId"),
    since: t.field({ type: "DateTime", description: "When ZEGO reported it started.", resolve: (s) => new Date(s.sinceMs) }),
  }),
});

export const RoomChangeRef = builder.objectRef<RoomHistoryEntry>("RoomChange").implement({
  description: "A committed room change: who made it, when, and what it changed.",
  fields: (t) => ({
    version: t.exposeInt("version", { description: "The room version this change produced." }),
    epoch: t.exposeString("epoch", { description: "The room's epoch: versions compare only within one." }),
    at: t.field({ type: "DateTime", description: "When the change was committed.", resolve: (e) => new Date(e.atMs) }),
    actor: t.exposeString("actor", { description: "The name of the service key that made the change (never the key)." }),
    operation: t.exposeString("operation", { description: "The mutation, e.g. setPublishers." }),
    summary: t.exposeString("summary", { description: "What changed, for people." }),
  }),
});

export const TokenHolderRef = builder.objectRef<TokenHolder>("TokenHolder").implement({
  description: "A user holding an unexpired token this service issued for the room.",
  fields: (t) => ({
    userId: t.exposeString("userId"),
    expiresAt: t.field({ type: "DateTime", resolve: (h) => new Date(h.expiresAt * 1000) }),
    canPublish: t.exposeBoolean("canPublish"),
    streamIds: t.stringList({ nullable: true, description: "Stream IDs the token allows; null means any.", resolve: (h) => (h.streamIds === null ? null : [...h.streamIds]) }),
  }),
});

/** How many recent entries are searched for the one of a room's current version. */
const LAST_CHANGE_WINDOW = 20;

const EMPTY_VIEW: EnforcementView = { liveStreams: [], bannedStreamIds: [] };
const enforcementView = (ctx: GraphQLContext, roomId: string): Promise<EnforcementView> =>
  ctx.services.enforcement === undefined ? Promise.resolve(EMPTY_VIEW) : ctx.services.enforcement.view(roomId);

export const RoomRef = builder.objectRef<RoomState>("Room").implement({
  description: "A room's access rules and publishers.",
  fields: (t) => ({
    roomId: t.exposeString("roomId"),
    access: t.field({ type: RoomAccessEnum, resolve: (r) => r.access }),
    members: t.stringList({ resolve: (r) => [...r.members] }),
    publishers: t.field({ type: [PublisherRef], resolve: (r) => [...(r.publishers ?? [])] }),
    hasPublishRules: t.boolean({
      description: "False until a publish rule is set; until then DEFAULT_CAN_PUBLISH applies to everyone.",
      resolve: (r) => r.publishers !== null,
    }),
    version: t.exposeInt("version"),
    lastChange: t.field({
      type: RoomChangeRef,
      nullable: true,
      description: "The history entry of this version (what roomChanged carries); null for a room never changed.",
      resolve: async (r, _args, ctx) => {
        if (r.version === 0) return null;
        const recent = await ctx.services.rooms.history(r.roomId, LAST_CHANGE_WINDOW);
        return recent.find((e) => e.version === r.version && e.epoch === r.epoch) ?? null;
      },
    }),
    tokenHolders: t.field({
      type: [TokenHolderRef],
      description: "Users holding an unexpired token issued for this room (after a removal: who can still get in, and until when).",
      resolve: (r, _args, ctx) => ctx.services.rooms.tokenHolders(r.roomId),
    }),
    enforcing: t.boolean({
      description: "True when ZEGO_ENFORCE is on: revocations are enforced at ZEGO (streams banned, users kicked); otherwise a revoked user keeps publishing until their token expires.",
      resolve: (_r, _args, ctx) => ctx.services.config.enforcement.enabled,
    }),
    streamCallbacks: t.boolean({
      description: "True when ZEGO_CALLBACK_SECRET is set: ZEGO's stream callbacks are received, so liveStreams is known.",
      resolve: (_r, _args, ctx) => ctx.services.config.callbackSecret !== undefined,
    }),
    liveStreams: t.field({
      type: [LiveStreamRef],
      description: "Streams publishing now, as ZEGO's callbacks report them (empty without ZEGO_CALLBACK_SECRET).",
      resolve: async (r, _args, ctx) => [...(await enforcementView(ctx, r.roomId)).liveStreams],
    }),
    bannedStreamIds: t.stringList({
      description: "Stream IDs this service has banned (or is banning) at ZEGO with ForbidRTCStreams (empty unless ZEGO_ENFORCE=on).",
      resolve: async (r, _args, ctx) => [...(await enforcementView(ctx, r.roomId)).bannedStreamIds],
    }),
  }),
});

export const RoomTokenRef = builder.objectRef<RoomToken>("RoomToken").implement({
  description: "A ZEGO token04 and what it allows.",
  fields: (t) => ({
    token: t.exposeString("token"),
    appId: t.float({ description: "ZEGO AppID (up to 2^32-1, hence Float).", resolve: (r) => r.appId }),
    userId: t.exposeString("userId"),
    roomId: t.string({ nullable: true, description: "Null for a basic token.", resolve: (r) => r.roomId }),
    issuedAt: t.field({ type: "DateTime", resolve: (r) => new Date(r.issuedAt * 1000) }),
    expiresAt: t.field({ type: "DateTime", resolve: (r) => new Date(r.expiresAt * 1000) }),
    renewAt: t.field({ type: "DateTime", description: "When the service pushes a fresh token.", resolve: (r) => new Date(r.renewAtMs) }),
    serverTime: t.field({ type: "DateTime", description: "Server clock at minting, to correct client skew.", resolve: (r) => new Date(r.serverTimeMs) }),
    canLoginRoom: t.exposeBoolean("canLoginRoom"),
    canPublish: t.exposeBoolean("canPublish"),
    streamIds: t.stringList({ nullable: true, description: "Stream IDs allowed; null means any.", resolve: (r) => (r.streamIds === null ? null : [...r.streamIds]) }),
    version: t.exposeInt("version", { description: "Room version the privileges come from." }),
  }),
});

export const TokenRenewalRef = builder.objectRef<TokenRenewal>("TokenRenewal").implement({
  description: "A pushed token.",
  fields: (t) => ({
    reason: t.field({ type: RenewalReasonEnum, resolve: (r) => r.reason }),
    token: t.field({ type: RoomTokenRef, resolve: (r) => r.token }),
  }),
});

export const TokenInspectionRef = builder.objectRef<TokenInspectionShape>("TokenInspection").implement({
  description: "The outcome of checking a token as ZEGO's server would.",
  fields: (t) => ({
    valid: t.exposeBoolean("valid"),
    restricted: t.boolean({
      nullable: true,
      description: "False for a basic token: it names no room or stream, and ZEGO accepts it only where privilege checks are off.",
      resolve: (r) => r.restricted,
    }),
    note: t.string({ nullable: true, description: "Why a valid token may still not mean what it seems (basic tokens).", resolve: (r) => r.note }),
    code: t.string({ nullable: true, description: "TOKEN_* code when invalid.", resolve: (r) => r.code }),
    zegoErrorCode: t.int({ nullable: true, resolve: (r) => r.zegoErrorCode }),
    mode: t.string({ nullable: true, resolve: (r) => r.mode }),
    appId: t.float({ nullable: true, resolve: (r) => r.appId }),
    userId: t.string({ nullable: true, resolve: (r) => r.userId }),
    roomId: t.string({ nullable: true, resolve: (r) => r.roomId }),
    nonce: t.float({ nullable: true, resolve: (r) => r.nonce }),
    issuedAt: t.field({ type: "DateTime", nullable: true, resolve: (r) => r.issuedAt }),
    expiresAt: t.field({ type: "DateTime", nullable: true, resolve: (r) => r.expiresAt }),
    canLoginRoom: t.boolean({ nullable: true, resolve: (r) => r.canLoginRoom }),
    canPublish: t.boolean({ nullable: true, resolve: (r) => r.canPublish }),
    streamIds: t.stringList({ nullable: true, resolve: (r) => (r.streamIds === null ? null : [...r.streamIds]) }),
  }),
});

export const PublisherInput = builder.inputType("PublisherInput", {
  fields: (t) => ({
    userId: t.string({ required: true }),
    streamIds: t.stringList({ required: false, description: "Allowed stream IDs; omitted or null means any." }),
  }),
});

export const TokenExpectationInput = builder.inputType("TokenExpectation", {
  fields: (t) => ({
    userId: t.string({ required: false }),
    roomId: t.string({ required: false }),
    streamId: t.string({ required: false }),
    publish: t.boolean({ required: false }),
  }),
});
