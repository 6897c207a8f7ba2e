import type { RoomEngine, ZegoUser } from "./engines.js";
import { TokenServiceError, toServiceError } from "./errors.js";
import { fromGraphQLErrors } from "./http.js";
import { msUntilRenewal, parseRoomToken, TOKEN_FIELDS, type RoomToken, type TokenReason, type TokenUpdate } from "./room-token.js";
import { backoffDelay, type BackoffOptions } from "./timing.js";

const RENEWED = `subscription($roomId: String, $heldToken: String) { tokenRenewed(roomId: $roomId, heldToken: $heldToken) { reason token { ${TOKEN_FIELDS} } } }`;

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

/**
 * The part of graphql-ws's client a session uses, declared here because the published package bundles
 * graphql-ws and its type declarations must not name it.
 */
export interface RenewalSocket {
  subscribe(
    payload: { query: string; variables: Record<string, unknown> },
    sink: {
      next(result: { data?: unknown; errors?: ReadonlyArray<unknown> }): void;
      error(error: unknown): void;
      complete(): void;
    },
  ): () => void;
}

/** What a {@link RoomSession} uses of its client. */
export interface SessionHost {
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
  /** The shared graphql-ws client. */
  socket(): RenewalSocket;
  /** Fetches a fresh token over HTTP. */
  issue(roomId: string): Promise<RoomToken>;
  /** Called once when the session stops for good (left, forbidden, client closed). */
  forget(session: RoomSession): void;
  isClosed(): boolean;
  readonly random: () => number;
  readonly backoff: BackoffOptions;
  /** How long after renewAt to wait for a push before fetching over HTTP. */
  readonly graceMs: number;
}

type Phase = "joined" | "left" | "forbidden";

/** Serialised again on every send, so each (re)subscription shows the token held at that moment. */
interface RenewalVariables {
  readonly roomId: string;
  readonly heldToken: string;
}

/**
 * One joined room: applies pushed tokens to the engine in order, resubscribes with backoff (showing the
 * token it holds, so the service pushes at once exactly when that token is not the current one), falls
 * back to HTTP when a renewal is late or the SDK warns first, and logs out when access is lost.
 */
export class RoomSession {
  private phase: Phase = "joined";
  private current: RoomToken;
  private leaving: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private cancelSafetyNet: (() => void) | undefined;
  private cancelResubscribe: (() => void) | undefined;
  private stopWillExpire: (() => void) | undefined;
  private failures = 0;
  private chain: Promise<void> = Promise.resolve();
  private refreshing = false;

  constructor(
    private readonly host: SessionHost,
    private readonly join: JoinRoomOptions,
    first: RoomToken,
  ) {
    this.current = first;
  }

  /** The token in force. */
  get token(): RoomToken {
    return this.current;
  }

  /** Starts watching the SDK's expiry warning, arms the safety net and subscribes to renewals. */
  start(): void {
    this.stopWillExpire = this.join.engine.onTokenWillExpire(this.join.roomId, () => {
      // Never throws into the SDK's handler: refresh reports its own failures.
      this.refresh("WILL_EXPIRE");
    });
    this.armSafetyNet(this.current);
    this.notify({ reason: "ISSUED", token: this.current });
    this.subscribe();
  }

  /** Logs out and stops renewing; idempotent. */
  leave(): Promise<void> {
    this.leaving ??= this.logout();
    return this.leaving;
  }

  /** Stops renewing without logging out (the client is closing). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.cancelSafetyNet?.();
    this.cancelResubscribe?.();
    this.stopWillExpire?.();
  }

  private async logout(): Promise<void> {
    if (this.phase !== "joined") return;
    this.phase = "left";
    this.stop();
    this.host.forget(this);
    await this.chain;
    try {
      await this.join.engine.logoutRoom(this.join.roomId);
    } catch (error) {
      this.report(error, "ENGINE_ERROR");
    }
  }

  private report(error: unknown, code: string): void {
    try {
      this.join.onError?.(toServiceError(error, code));
    } catch {
      // An app callback must not break renewals.
    }
  }

  private notify(update: TokenUpdate): void {
    try {
      this.join.onToken?.(update);
    } catch (error) {
      this.report(error, "CALLBACK_ERROR");
    }
  }

  private armSafetyNet(token: RoomToken): void {
    this.cancelSafetyNet?.();
    this.cancelSafetyNet = this.host.schedule(() => this.refresh("FALLBACK"), msUntilRenewal(token) + this.host.graceMs);
  }

  /** Applies tokens one at a time, in arrival order, each once. */
  private apply(update: TokenUpdate): void {
    this.chain = this.chain.then(() => this.applyNow(update));
  }

  private async applyNow(update: TokenUpdate): Promise<void> {
    if (this.phase !== "joined" || update.token.token === this.current.token) return;
    try {
      await this.join.engine.renewToken(this.join.roomId, update.token.token);
    } catch (error) {
      this.report(error, "ENGINE_ERROR");
      return;
    }
    this.current = update.token;
    this.armSafetyNet(update.token);
    this.notify(update);
  }

  private async forbid(error: TokenServiceError): Promise<void> {
    if (this.phase !== "joined") return;
    this.phase = "forbidden";
    this.stop();
    this.host.forget(this);
    try {
      await this.join.engine.logoutRoom(this.join.roomId);
    } catch (e) {
      this.report(e, "ENGINE_ERROR");
    }
    try {
      this.join.onForbidden?.(error);
    } catch (e) {
      this.report(e, "CALLBACK_ERROR");
    }
  }

  private handleFailure(error: TokenServiceError, retry: () => void): void {
    if (this.phase !== "joined") return;
    if (error.code === "FORBIDDEN") {
      void this.forbid(error);
      return;
    }
    this.report(error, error.code);
    this.cancelResubscribe?.();
    this.cancelResubscribe = this.host.schedule(retry, backoffDelay(this.failures++, this.host.random, this.host.backoff));
  }

  private refresh(reason: TokenReason): void {
    if (this.phase !== "joined" || this.refreshing) return;
    this.refreshing = true;
    this.host.issue(this.join.roomId).then(
      (token) => {
        this.refreshing = false;
        this.failures = 0;
        this.apply({ reason, token });
      },
      (error: unknown) => {
        this.refreshing = false;
        this.handleFailure(toServiceError(error, "NETWORK_ERROR"), () => this.refresh(reason));
      },
    );
  }

  private subscribe(): void {
    if (this.phase !== "joined" || this.host.isClosed()) return;
    const held = () => this.current.token;
    // graphql-ws sends this payload again on each reconnect, serialising it each time: the getter makes
    // every (re)subscription show the token in force then, not the one held at the first subscription.
    const variables: RenewalVariables = {
      roomId: this.join.roomId,
      get heldToken() {
        return held();
      },
    };
    this.unsubscribe = this.host.socket().subscribe(
      { query: RENEWED, variables: variables as unknown as Record<string, unknown> },
      {
        next: (result) => this.onResult(result),
        error: (error: unknown) => {
          this.unsubscribe = undefined;
          const serviceError = Array.isArray(error) ? fromGraphQLErrors(error) : new TokenServiceError("CONNECTION_ERROR", describeClose(error));
          this.handleFailure(serviceError, () => this.subscribe());
        },
        complete: () => {
          this.unsubscribe = undefined;
          if (this.phase === "joined" && !this.host.isClosed()) {
            this.handleFailure(new TokenServiceError("CONNECTION_ERROR", "the renewal stream ended"), () => this.subscribe());
          }
        },
      },
    );
  }

  private onResult(result: { data?: unknown; errors?: ReadonlyArray<unknown> }): void {
    if (result.errors !== undefined && result.errors.length > 0) {
      this.handleFailure(fromGraphQLErrors(result.errors), () => this.subscribe());
      return;
    }
    try {
      const payload = (result.data as { tokenRenewed?: { reason?: unknown; token?: unknown } } | null | undefined)?.tokenRenewed;
      const token = parseRoomToken(payload?.token);
      this.failures = 0;
      this.apply({ reason: String(payload?.reason) as TokenReason, token });
    } catch (error) {
      this.report(error, "BAD_RESPONSE");
    }
  }
}

function describeClose(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, reason } = error as { code: unknown; reason?: unknown };
    return `connection closed (${String(code)}${typeof reason === "string" && reason !== "" ? `: ${reason}` : ""})`;
  }
  return error instanceof Error ? error.message : "connection failed";
}
