import { RETRYABLE_CODES, TokenServiceError } from "./errors.js";
import { postGraphQL, type FetchLike } from "./http.js";
import { backoffDelay, DEFAULT_BACKOFF, platformClock, type BackoffOptions, type ClientClock } from "./timing.js";

/** A room's access rules and publishers. */
export interface RoomInfo {
  roomId: string;
  access: "OPEN" | "MEMBERS_ONLY";
  members: string[];
  publishers: Array<{ userId: string; streamIds: string[] | null }>;
  hasPublishRules: boolean;
  version: number;
}

/** Options of {@link createGameServerClient}. */
export interface GameServerClientOptions {
  /** The service's GraphQL HTTP URL. */
  url: string;
  /** A service API key (sent as `x-api-key`). */
  apiKey: string;
  fetch?: FetchLike;
  /** Attempts per call for UNAVAILABLE and network errors (default 5). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  clock?: ClientClock;
  random?: () => number;
}

/** Typed room administration for game servers; each call retries transient failures and otherwise throws a {@link TokenServiceError}. */
export interface GameServerClient {
  grantPublish(args: { roomId: string; userId: string; streamIds?: string[] | null }): Promise<RoomInfo>;
  revokePublish(args: { roomId: string; userId: string }): Promise<RoomInfo>;
  setPublishers(args: { roomId: string; publishers: Array<{ userId: string; streamIds?: string[] | null }> }): Promise<RoomInfo>;
  /** With `members`, access and the member list change in one step (one version). */
  setRoomAccess(args: { roomId: string; access: "OPEN" | "MEMBERS_ONLY"; members?: string[] | null }): Promise<RoomInfo>;
  addRoomMembers(args: { roomId: string; userIds: string[] }): Promise<RoomInfo>;
  removeRoomMembers(args: { roomId: string; userIds: string[] }): Promise<RoomInfo>;
  room(args: { roomId: string }): Promise<RoomInfo>;
}

const ROOM_FIELDS = "roomId access members publishers { userId streamIds } hasPublishRules version";
const OPS = {
  grantPublish: "mutation($roomId: String!, $userId: String!, $streamIds: [String!]) { grantPublish(roomId: $roomId, userId: $userId, streamIds: $streamIds)",
  revokePublish: "mutation($roomId: String!, $userId: String!) { revokePublish(roomId: $roomId, userId: $userId)",
  setPublishers: "mutation($roomId: String!, $publishers: [PublisherInput!]!) { setPublishers(roomId: $roomId, publishers: $publishers)",
  setRoomAccess: "mutation($roomId: String!, $access: RoomAccess!, $members: [String!]) { setRoomAccess(roomId: $roomId, access: $access, members: $members)",
  addRoomMembers: "mutation($roomId: String!, $userIds: [String!]!) { addRoomMembers(roomId: $roomId, userIds: $userIds)",
  removeRoomMembers: "mutation($roomId: String!, $userIds: [String!]!) { removeRoomMembers(roomId: $roomId, userIds: $userIds)",
  room: "query($roomId: String!) { room(roomId: $roomId)",
} as const;

/** Creates a game-server client (Node, or anywhere with `fetch`). */
export function createGameServerClient(options: GameServerClientOptions): GameServerClient {
  const clock = options.clock ?? platformClock;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const maxAttempts = options.maxAttempts ?? 5;
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));

  async function call(name: keyof typeof OPS, args: object): Promise<RoomInfo> {
    const query = `${OPS[name]} { ${ROOM_FIELDS} } }`;
    for (let attempt = 0; ; attempt++) {
      try {
        const data = await postGraphQL(fetchImpl, options.url, { "x-api-key": options.apiKey }, query, { ...args });
        const room = data[name];
        if (typeof room !== "object" || room === null) throw new TokenServiceError("BAD_RESPONSE", `no ${name} in the response`);
        return room as RoomInfo;
      } catch (error) {
        const retryable = error instanceof TokenServiceError && RETRYABLE_CODES.has(error.code);
        if (!retryable || attempt + 1 >= maxAttempts) throw error;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, backoffDelay(attempt, random, backoff)));
      }
    }
  }

  return {
    grantPublish: (args) => call("grantPublish", args),
    revokePublish: (args) => call("revokePublish", args),
    setPublishers: (args) => call("setPublishers", args),
    setRoomAccess: (args) => call("setRoomAccess", args),
    addRoomMembers: (args) => call("addRoomMembers", args),
    removeRoomMembers: (args) => call("removeRoomMembers", args),
    room: (args) => call("room", args),
  };
}
