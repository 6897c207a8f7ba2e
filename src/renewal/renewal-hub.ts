import type { Clock } from "../clock/clock.js";
import { RateLimitedError } from "../errors/service-errors.js";
import type { EventBus, Unsubscribe } from "../events/bus.js";
import { errorName, type Logger } from "../log/logger.js";
import { RenewalStream, type TokenRenewal } from "./renewal-stream.js";
import type { TokenIssuer } from "./token-issuer.js";

/** Options of {@link createRenewalHub}. */
export interface RenewalHubOptions {
  readonly issuer: TokenIssuer;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called for every push (metrics). */
  readonly onPush?: (renewal: TokenRenewal) => void;
  /** Live subscriptions one user may hold on this instance (MAX_SUBSCRIPTIONS_PER_USER); default unlimited. */
  readonly maxSubscriptionsPerUser?: number;
}

/** Per-subscription options of {@link RenewalHub.subscribe}. */
export interface SubscribeOptions {
  /** The subscriber's credential expiry (unix ms): the stream ends then, and tokens never outlive it. */
  readonly credentialExpiresAtMs?: number;
  /**
   * Charged when the subscription owes the user a token at once (a mint at the user's request); throws
   * RateLimitedError to refuse the subscription. Server-started pushes are never charged.
   */
  readonly chargeInitial?: () => Promise<void>;
  /**
   * The token04 the subscriber holds now, as it showed it: nothing is pushed at once when it is the one
   * it should have (see {@link RenewalStream.start}); absent or unusable, the current token is pushed.
   */
  readonly heldToken?: string;
}

/** Counts for leak checks and metrics. */
export interface RenewalHubStats {
  readonly subscriptions: number;
  readonly timers: number;
}

/** Owns every local `tokenRenewed` subscription and routes room events to them. */
export interface RenewalHub {
  /**
   * Opens a subscription for the user and room (`null`: basic token). Rejects with AccessDeniedError
   * for a non-member of a members-only room.
   */
  subscribe(userId: string, roomId: string | null, options?: SubscribeOptions): Promise<RenewalStream>;
  stats(): RenewalHubStats;
  /** Ends every subscription. */
  stop(): Promise<void>;
}

/** Creates a {@link RenewalHub}: one bus listener per subscription; the bus keeps one channel per room. */
export function createRenewalHub(options: RenewalHubOptions): RenewalHub {
  const { issuer, bus, clock, logger } = options;
  const streams = new Set<RenewalStream>();
  const perUser = new Map<string, number>();
  const maxPerUser = options.maxSubscriptionsPerUser ?? Number.POSITIVE_INFINITY;
  const listening = new Map<RenewalStream, Unsubscribe>();

  const stopResync = bus.onResync(() => {
    for (const stream of streams) stream.resync();
  });

  const release = (userId: string, stream: RenewalStream) => {
    if (!streams.delete(stream)) return;
    const held = (perUser.get(userId) ?? 1) - 1;
    if (held <= 0) perUser.delete(userId);
    else perUser.set(userId, held);
    listening.get(stream)?.();
    listening.delete(stream);
  };

  // The bus shares one channel subscription per room between its listeners, and resolves each only
  // once that subscription is active.
  const join = async (roomId: string, stream: RenewalStream) => {
    let unsubscribe: Unsubscribe;
    try {
      unsubscribe = await bus.subscribe(roomId, (event) => stream.onEvent(event));
    } catch (e) {
      logger.warn("room subscription failed", { error: errorName(e) });
      throw e;
    }
    if (streams.has(stream)) listening.set(stream, unsubscribe);
    else unsubscribe();
  };

  return {
    async subscribe(userId, roomId, subscribeOptions = {}) {
      if ((perUser.get(userId) ?? 0) >= maxPerUser) {
        throw new RateLimitedError(60, `at most ${maxPerUser} live subscriptions per user: end one first`);
      }
      // Refuse before any listener exists, so a refused subscription leaves nothing behind.
      await issuer.decide(userId, roomId);
      const stream = new RenewalStream({
        userId,
        roomId,
        issuer,
        clock,
        logger,
        onClose: (s) => release(userId, s),
        ...(options.onPush === undefined ? {} : { onPush: options.onPush }),
        ...(subscribeOptions.credentialExpiresAtMs === undefined ? {} : { credentialExpiresAtMs: subscribeOptions.credentialExpiresAtMs }),
      });
      streams.add(stream);
      perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      try {
        // Listen before reading state, so no change between the two is missed.
        if (roomId !== null) await join(roomId, stream);
        await stream.start(subscribeOptions.heldToken);
        if (stream.owesInitial) await subscribeOptions.chargeInitial?.();
      } catch (e) {
        stream.close();
        throw e;
      }
      return stream;
    },
    stats() {
      let timers = 0;
      for (const s of streams) timers += s.timers;
      return { subscriptions: streams.size, timers };
    },
    async stop() {
      stopResync();
      for (const stream of [...streams]) stream.close();
    },
  };
}
