import { createClient, type Client } from "graphql-ws/client";
import { TokenServiceError, toServiceError } from "./errors.js";
import { postGraphQL, type FetchLike } from "./http.js";
import { RoomSession, type JoinRoomOptions, type SessionHost } from "./room-session.js";
import { parseRoomToken, TOKEN_FIELDS, type RoomToken } from "./room-token.js";
import { backoffDelay, DEFAULT_BACKOFF, platformClock, type BackoffOptions, type ClientClock } from "./timing.js";

export type { JoinRoomOptions } from "./room-session.js";

const ISSUE = `mutation($roomId: String) { issueToken(roomId: $roomId) { ${TOKEN_FIELDS} } }`;

/** Options of {@link createTokenClient}. */
export interface TokenClientOptions {
  /** The service's GraphQL HTTP URL. */
  url: string;
  /** The WebSocket URL; derived from `url` (http→ws, https→wss) when omitted. */
  wsUrl?: string;
  /** Returns the `Authorization` value; called on every (re)connect and HTTP call. */
  authorization: () => string | Promise<string>;
  /** A WebSocket constructor; defaults to the global one (Node passes the `ws` package). */
  webSocketImpl?: unknown;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** How long after `renewAt` to wait for a push before fetching over HTTP (default 15 s). */
  renewalGraceMs?: number;
  /** Reconnect backoff (full jitter); default base 500 ms, cap 30 s. */
  backoff?: BackoffOptions;
  /** Injected time (tests). */
  clock?: ClientClock;
  /** Injected randomness in [0, 1) (tests). */
  random?: () => number;
}

/** A joined room whose token the client keeps current. */
export interface JoinedRoom {
  readonly roomId: string;
  /** The token in force. */
  readonly token: RoomToken;
  /** Logs out and stops renewing; idempotent. */
  leave(): Promise<void>;
}

/** Keeps ZEGO room tokens current. */
export interface TokenClient {
  joinRoom(options: JoinRoomOptions): Promise<JoinedRoom>;
  /** Leaves every room and closes the connection. */
  close(): Promise<void>;
}

function deriveWsUrl(url: string): string {
  return url.replace(/^http(s?):/i, (_m, s: string) => `ws${s}:`);
}

/** Creates the client side of the token service for one signed-in user. */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const clock = options.clock ?? platformClock;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const grace = options.renewalGraceMs ?? 15_000;
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const timers = new Map<unknown, () => void>();
  const rooms = new Set<RoomSession>();
  let ws: Client | undefined;
  let closed = false;

  /** Runs `fn` after `ms`; returns a cancel function. Every pending timer is cancelled on close. */
  function schedule(fn: () => void, ms: number): () => void {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      fn();
    }, ms);
    const cancel = () => {
      if (timers.delete(handle)) clock.clearTimeout(handle);
    };
    timers.set(handle, cancel);
    return cancel;
  }

  const waits = new Set<() => void>();
  /** graphql-ws's retry wait; cut short once no room is left, so no timer outlives the rooms. */
  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        waits.delete(done);
        cancel();
        resolve();
      };
      const cancel = schedule(done, ms);
      waits.add(done);
      if (rooms.size === 0) done();
    });
  }

  function forget(room: RoomSession): void {
    rooms.delete(room);
    if (rooms.size === 0) for (const done of [...waits]) done();
  }

  async function issue(roomId: string): Promise<RoomToken> {
    const data = await postGraphQL(fetchImpl, options.url, { authorization: await options.authorization() }, ISSUE, { roomId });
    return parseRoomToken(data.issueToken);
  }

  function socket(): Client {
    ws ??= createClient({
      url: options.wsUrl ?? deriveWsUrl(options.url),
      ...(options.webSocketImpl === undefined ? {} : { webSocketImpl: options.webSocketImpl }),
      lazy: true,
      // Re-read on every attempt, so an expired JWT (close 4403) is replaced before the retry.
      connectionParams: async () => ({ authorization: await options.authorization() }),
      retryAttempts: Infinity,
      shouldRetry: () => !closed,
      retryWait: (retries) => wait(backoffDelay(retries, random, backoff)),
    });
    return ws;
  }

  const host: SessionHost = {
    schedule,
    socket,
    issue,
    forget,
    isClosed: () => closed,
    random,
    backoff,
    graceMs: grace,
  };

  async function joinRoom(join: JoinRoomOptions): Promise<JoinedRoom> {
    if (closed) throw new TokenServiceError("CLIENT_CLOSED", "the token client is closed");
    const first = await issue(join.roomId);
    try {
      await join.engine.loginRoom(join.roomId, first.token, join.user);
    } catch (error) {
      throw toServiceError(error, "ENGINE_ERROR");
    }
    const session = new RoomSession(host, join, first);
    rooms.add(session);
    session.start();
    return {
      roomId: join.roomId,
      get token() {
        return session.token;
      },
      leave: () => session.leave(),
    };
  }

  return {
    joinRoom,
    async close() {
      if (closed) return;
      closed = true;
      for (const room of [...rooms]) {
        room.stop();
        forget(room);
      }
      const client = ws;
      ws = undefined;
      for (const cancel of [...timers.values()]) cancel();
      await client?.dispose();
    },
  };
}
