import type { Clock, Timer } from "../clock/clock.js";
import { AccessDeniedError, AuthenticationError, UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { samePrivilege, type Privilege } from "../rooms/policy.js";
import type { RoomEvent } from "../events/bus.js";
import { holdsCurrent } from "./held-token.js";
import type { RoomToken, TokenIssuer } from "./token-issuer.js";

/** Why a token was pushed. */
export const RenewalReason = {
  INITIAL: "INITIAL",
  EXPIRING: "EXPIRING",
  PRIVILEGE_CHANGED: "PRIVILEGE_CHANGED",
  RESYNC: "RESYNC",
} as const;
/** One of {@link RenewalReason}. */
export type RenewalReason = (typeof RenewalReason)[keyof typeof RenewalReason];

/** One push on a `tokenRenewed` subscription. */
export interface TokenRenewal {
  readonly reason: RenewalReason;
  readonly token: RoomToken;
  /** Commit time of the earliest change this push answers (for latency metrics). */
  readonly changeCommittedAtMs?: number;
}

/** The last item of a stream whose user lost access to the room, or whose credential expired. */
export interface RenewalEnded {
  readonly ended: AccessDeniedError | AuthenticationError;
}

// Pending reasons are flags, so a burst of events collapses into one pending push.
const FLAG = { INITIAL: 1, EXPIRING: 2, PRIVILEGE_CHANGED: 4, RESYNC: 8, CREDENTIAL_EXPIRED: 16 } as const;
const RETRY_MS = 500;

let turn: Promise<void> | undefined;
/**
 * Resolves after the current I/O phase, shared by every stream woken in it: a room change's streams
 * then resume together and advance step by step side by side (all decide, all mint, all write) rather
 * than one whole push after another, which keeps each step's code and data hot.
 */
function nextTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}

/** Dependencies of a {@link RenewalStream}. */
export interface RenewalStreamOptions {
  readonly userId: string;
  readonly roomId: string | null;
  readonly issuer: TokenIssuer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once when the stream ends, to release bus listeners and bookkeeping. */
  readonly onClose: (stream: RenewalStream) => void;
  /** Called for every push, as it is handed to the transport. */
  readonly onPush?: (renewal: TokenRenewal) => void;
  /**
   * When the subscriber's credential (JWT) expires, unix ms: the stream ends then with
   * UNAUTHENTICATED, whatever the transport, and no token is minted after it. Tokens minted before
   * it live no longer than it (never less than the minimum TTL).
   */
  readonly credentialExpiresAtMs?: number;
}

/**
 * One subscriber's renewals: holds at most one pending push (coalescing), a single timer for the next
 * EXPIRING, and mints from the current state only when a push is due.
 */
export class RenewalStream implements AsyncIterableIterator<TokenRenewal | RenewalEnded> {
  private pending = 0;
  private wake: (() => void) | undefined;
  private timer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private expiryTimer: Timer | undefined;
  private retryFlags = 0;
  private changeAtMs: number | undefined;
  /** Newest room version an event announced; a decision older than that is re-read. */
  private wantVersion = -1;
  private closed = false;
  private lastVersion = -1;
  /** Epoch of the room state the last decision came from; versions compare only within it. */
  private lastEpoch: string | undefined;
  private lastPrivilege: Privilege | undefined;
  private ttlSeconds: number;
  /** The reason of the push owed at subscription start (FLAG.INITIAL). */
  private initialReason: RenewalReason = RenewalReason.INITIAL;

  constructor(private readonly options: RenewalStreamOptions) {
    this.ttlSeconds = options.issuer.defaultTtlSeconds;
    const expiresAt = options.credentialExpiresAtMs;
    if (expiresAt !== undefined) {
      this.expiryTimer = options.clock.setTimer(() => {
        this.expiryTimer = undefined;
        this.raise(FLAG.CREDENTIAL_EXPIRED);
      }, expiresAt - options.clock.now());
    }
  }

  /** True while a token is owed at subscription start, whatever its reason (the caller charges it to the user's mint limit). */
  get owesInitial(): boolean {
    return (this.pending & FLAG.INITIAL) !== 0;
  }

  /** Timers armed now (for leak checks). */
  get timers(): number {
    return (this.timer === undefined ? 0 : 1) + (this.retryTimer === undefined ? 0 : 1) + (this.expiryTimer === undefined ? 0 : 1);
  }

  /**
   * Decides whether the subscriber needs a token at once. Only the token the subscriber shows counts
   * (`heldToken`): the shared record says what was minted, and a push can be lost with its instance. No
   * usable token shown: the current one at once (INITIAL). One granting other rights: at once (RESYNC).
   * One within the renewal lead: at once (EXPIRING). Otherwise nothing now, and the next renewal is
   * scheduled from the shown token's expiry. So every instance answers alike, whatever failed before.
   */
  async start(heldToken?: string): Promise<void> {
    const { issuer, userId, roomId, clock, logger } = this.options;
    const [record, decision] = await Promise.all([issuer.lastIssued(userId, roomId), issuer.decide(userId, roomId)]);
    this.lastEpoch = decision.epoch;
    // The lifetime the user asked for (issueToken) is reused for renewals; it says nothing about what the client holds.
    if (record !== null) this.ttlSeconds = record.ttlSeconds;
    const check = heldToken === undefined ? undefined : issuer.readHeld(userId, roomId, heldToken);
    if (check === undefined || "refused" in check) {
      if (check !== undefined) logger.debug("held token not accepted: sending the current one", { code: check.refused });
      this.initialReason = RenewalReason.INITIAL;
    } else if (!samePrivilege(check.held.privilege, decision.privilege)) {
      this.initialReason = RenewalReason.RESYNC;
    } else if (!holdsCurrent(check.held, decision.privilege, clock.now(), issuer.timing)) {
      this.initialReason = RenewalReason.EXPIRING;
    } else {
      this.lastPrivilege = decision.privilege;
      this.lastVersion = decision.version;
      this.arm(issuer.renewAtOf(check.held));
      return;
    }
    this.raise(FLAG.INITIAL);
  }

  /** Feeds a room event; late, duplicate and unrelated events are dropped. */
  onEvent(event: RoomEvent): void {
    // Another epoch means the room's state was recreated (lost data): its versions restarted, so an
    // event with a lower version is still news.
    const newEpoch = event.epoch !== undefined && this.lastEpoch !== undefined && event.epoch !== this.lastEpoch;
    if (newEpoch) {
      this.lastVersion = -1;
      this.wantVersion = -1;
    } else if (event.version <= this.lastVersion) return;
    if (event.userIds !== null && !event.userIds.includes(this.options.userId)) return;
    this.wantVersion = Math.max(this.wantVersion, event.version);
    if (event.committedAtMs !== undefined) this.changeAtMs = Math.min(this.changeAtMs ?? event.committedAtMs, event.committedAtMs);
    this.raise(FLAG.PRIVILEGE_CHANGED);
  }

  /** Asks the stream to re-check its privileges after events may have been lost. */
  resync(): void {
    this.raise(FLAG.RESYNC);
  }

  private raise(flag: number): void {
    if (this.closed) return;
    this.pending |= flag;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private arm(atMs: number): void {
    this.timer?.cancel();
    this.timer = this.options.clock.setTimer(() => {
      this.timer = undefined;
      this.raise(FLAG.EXPIRING);
    }, atMs - this.options.clock.now());
  }

  async next(): Promise<IteratorResult<TokenRenewal | RenewalEnded>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      if (this.pending === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        // Let the rest of a burst (requests read in the same I/O phase) land first: one push, final state.
        if ((this.pending & FLAG.INITIAL) === 0) await nextTurn();
        continue;
      }
      const flags = this.pending;
      this.pending = 0;
      if (flags & FLAG.CREDENTIAL_EXPIRED || this.credentialExpired()) {
        this.close();
        return { done: false, value: { ended: new AuthenticationError("credentials expired: reconnect with a fresh JWT") } };
      }
      try {
        const renewal = await this.produce(flags);
        if (renewal !== undefined && !this.closed) {
          this.options.onPush?.(renewal);
          return { done: false, value: renewal };
        }
      } catch (e) {
        if (e instanceof AccessDeniedError) {
          this.close();
          return { done: false, value: { ended: e } };
        }
        // Shared state unreachable: keep the subscription and try again shortly.
        this.options.logger.warn("token renewal failed, retrying", { error: errorName(e), unavailable: e instanceof UnavailableError });
        this.retryLater(flags);
      }
    }
  }

  private credentialExpired(): boolean {
    const expiresAt = this.options.credentialExpiresAtMs;
    return expiresAt !== undefined && this.options.clock.now() >= expiresAt;
  }

  private retryLater(flags: number): void {
    this.retryFlags |= flags;
    if (this.retryTimer !== undefined) return;
    this.retryTimer = this.options.clock.setTimer(() => {
      this.retryTimer = undefined;
      const again = this.retryFlags;
      this.retryFlags = 0;
      this.raise(again);
    }, RETRY_MS);
  }

  private async produce(flags: number): Promise<TokenRenewal | undefined> {
    const { issuer, userId, roomId } = this.options;
    const changeAtMs = this.changeAtMs;
    this.changeAtMs = undefined;
    let decision = await issuer.decide(userId, roomId);
    // A read that started before the announced change (shared reads, replica lag) is retried.
    for (let i = 0; i < 3 && decision.version < this.wantVersion; i++) decision = await issuer.decide(userId, roomId);
    if (decision.epoch !== this.lastEpoch) {
      // A new epoch restarts versions: compare from scratch.
      this.lastEpoch = decision.epoch;
      this.lastVersion = -1;
    }
    const changed = this.lastPrivilege === undefined || !samePrivilege(this.lastPrivilege, decision.privilege);
    let reason: RenewalReason;
    if (flags & FLAG.INITIAL) reason = this.initialReason;
    else if (changed) reason = flags & FLAG.RESYNC ? RenewalReason.RESYNC : RenewalReason.PRIVILEGE_CHANGED;
    else if (flags & FLAG.EXPIRING) reason = RenewalReason.EXPIRING;
    else {
      this.lastVersion = Math.max(this.lastVersion, decision.version);
      return undefined;
    }
    // Never mint for a credential that expired while the decision was read.
    if (this.credentialExpired()) {
      this.raise(FLAG.CREDENTIAL_EXPIRED);
      return undefined;
    }
    const ttl = issuer.capTtl(this.ttlSeconds, this.options.credentialExpiresAtMs);
    const token = await issuer.mint(userId, roomId, decision, ttl);
    this.lastPrivilege = decision.privilege;
    this.lastVersion = Math.max(this.lastVersion, decision.version);
    this.arm(token.renewAtMs);
    return changeAtMs === undefined || reason === RenewalReason.EXPIRING ? { reason, token } : { reason, token, changeCommittedAtMs: changeAtMs };
  }

  async return(): Promise<IteratorResult<TokenRenewal | RenewalEnded>> {
    this.close();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<TokenRenewal | RenewalEnded>> {
    this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream and releases its timer and listeners. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.expiryTimer?.cancel();
    this.expiryTimer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    this.options.onClose(this);
  }
}
