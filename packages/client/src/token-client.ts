import { createClient, type Client } from "graphql-ws/client";
import type { RoomEngine, ZegoUser } from "./engines.js";
import { TokenServiceError, toServiceError } from "./errors.js";
import { fromGraphQLErrors, postGraphQL, type FetchLike } from "./http.js";
import { msUntilRenewal, parseRoomToken, TOKEN_FIELDS, type RoomToken, type TokenReason, type TokenUpdate } from "./room-token.js";
import { backoffDelay, DEFAULT_BACKOFF, platformClock, type BackoffOptions, type ClientClock } from "./timing.js";

const ISSUE = `mutation($roomId: String) { issueToken(roomId: $roomId) { ${TOKEN_FIELDS} } }`;
const RENEWED = `subscription($roomId: String) { tokenRenewed(roomId: $roomId) { reason token { ${TOKEN_FIELDS} } } }`;

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

/** Options of {@link TokenClient.joinRoom}. */
export interface JoinRoomOptions {
  roomId: string;
  engine: RoomEngine;
  user: ZegoUser;
  /** After each token is applied to the engine. */
  onToken?: (update: TokenUpdate) => void;
  /** Access was lost; the room was already logged out and nothing is retried. */
  onForbidden?: (error: TokenServiceError) => void;
  /** Any other problem; the client keeps trying while the room is joined. */
  onError?: (error: TokenServiceError) => void;
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
  const rooms = new Set<RoomState>();
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

  function forget(room: RoomState): void {
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

  type RoomPhase = "joined" | "left" | "forbidden";
  interface RoomState {
    phase: RoomPhase;
    token: RoomToken;
    leaving?: Promise<void>;
    stop(): void;
  }

  async function joinRoom(join: JoinRoomOptions): Promise<JoinedRoom> {
    if (closed) throw new TokenServiceError("CLIENT_CLOSED", "the token client is closed");
    const { roomId, engine } = join;
    const report = (error: unknown, code: string) => {
      try {
        join.onError?.(toServiceError(error, code));
      } catch {
        // An app callback must not break renewals.
      }
    };
    const first = await issue(roomId);
    try {
      await engine.loginRoom(roomId, first.token, join.user);
    } catch (error) {
      throw toServiceError(error, "ENGINE_ERROR");
    }
    let unsubscribe: (() => void) | undefined;
    let cancelSafetyNet: (() => void) | undefined;
    let cancelResubscribe: (() => void) | undefined;
    let failures = 0;
    let chain = Promise.resolve();
    const state: RoomState = {
      phase: "joined",
      token: first,
      stop() {
        unsubscribe?.();
        unsubscribe = undefined;
        cancelSafetyNet?.();
        cancelResubscribe?.();
        stopWillExpire();
      },
    };
    rooms.add(state);

    const notify = (update: TokenUpdate) => {
      try {
        join.onToken?.(update);
      } catch (error) {
        report(error, "CALLBACK_ERROR");
      }
    };

    const armSafetyNet = (token: RoomToken) => {
      cancelSafetyNet?.();
      cancelSafetyNet = schedule(() => refresh("FALLBACK"), msUntilRenewal(token) + grace);
    };

    /** Applies tokens one at a time, in arrival order, each once. */
    const apply = (update: TokenUpdate) => {
      chain = chain.then(async () => {
        if (state.phase !== "joined" || update.token.token === state.token.token) return;
        try {
          await engine.renewToken(roomId, update.token.token);
        } catch (error) {
          report(error, "ENGINE_ERROR");
          return;
        }
        state.token = update.token;
        armSafetyNet(update.token);
        notify(update);
      });
    };

    const forbid = async (error: TokenServiceError) => {
      if (state.phase !== "joined") return;
      state.phase = "forbidden";
      state.stop();
      forget(state);
      try {
        await engine.logoutRoom(roomId);
      } catch (e) {
        report(e, "ENGINE_ERROR");
      }
      try {
        join.onForbidden?.(error);
      } catch (e) {
        report(e, "CALLBACK_ERROR");
      }
    };

    const handleFailure = (error: TokenServiceError, retry: () => void) => {
      if (state.phase !== "joined") return;
      if (error.code === "FORBIDDEN") {
        void forbid(error);
        return;
      }
      report(error, error.code);
      cancelResubscribe?.();
      cancelResubscribe = schedule(retry, backoffDelay(failures++, random, backoff));
    };

    let refreshing = false;
    function refresh(reason: TokenReason): void {
      if (state.phase !== "joined" || refreshing) return;
      refreshing = true;
      issue(roomId).then(
        (token) => {
          refreshing = false;
          failures = 0;
          apply({ reason, token });
        },
        (error: unknown) => {
          refreshing = false;
          handleFailure(toServiceError(error, "NETWORK_ERROR"), () => refresh(reason));
        },
      );
    }

    function subscribe(): void {
      if (state.phase !== "joined" || closed) return;
      unsubscribe = socket().subscribe(
        { query: RENEWED, variables: { roomId } },
        {
          next: (result) => {
            if (result.errors !== undefined && result.errors.length > 0) {
              handleFailure(fromGraphQLErrors(result.errors), subscribe);
              return;
            }
            try {
              const payload = (result.data as { tokenRenewed?: { reason?: unknown; token?: unknown } } | null | undefined)?.tokenRenewed;
              const token = parseRoomToken(payload?.token);
              failures = 0;
              apply({ reason: String(payload?.reason) as TokenReason, token });
            } catch (error) {
              report(error, "BAD_RESPONSE");
            }
          },
          error: (error: unknown) => {
            unsubscribe = undefined;
            const serviceError = Array.isArray(error)
              ? fromGraphQLErrors(error)
              : new TokenServiceError("CONNECTION_ERROR", describeClose(error));
            handleFailure(serviceError, subscribe);
          },
          complete: () => {
            unsubscribe = undefined;
            if (state.phase === "joined" && !closed) handleFailure(new TokenServiceError("CONNECTION_ERROR", "the renewal stream ended"), subscribe);
          },
        },
      );
    }

    const stopWillExpire = engine.onTokenWillExpire(roomId, () => {
      // Never throws into the SDK's handler: refresh reports its own failures.
      refresh("WILL_EXPIRE");
    });
    armSafetyNet(first);
    notify({ reason: "ISSUED", token: first });
    subscribe();

    return {
      roomId,
      get token() {
        return state.token;
      },
      leave() {
        state.leaving ??= (async () => {
          if (state.phase !== "joined") return;
          state.phase = "left";
          state.stop();
          forget(state);
          await chain;
          try {
            await engine.logoutRoom(roomId);
          } catch (error) {
            report(error, "ENGINE_ERROR");
          }
        })();
        return state.leaving;
      },
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

function describeClose(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, reason } = error as { code: unknown; reason?: unknown };
    return `connection closed (${String(code)}${typeof reason === "string" && reason !== "" ? `: ${reason}` : ""})`;
  }
  return error instanceof Error ? error.message : "connection failed";
}
