import type { Viewer } from "../auth/authenticator.js";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/config.js";
import type { EventBus } from "../events/bus.js";
import type { EnforcementView } from "../enforcement/store.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { Logger } from "../log/logger.js";
import type { RenewalHub } from "../renewal/renewal-hub.js";
import type { TokenIssuer } from "../renewal/token-issuer.js";
import type { RoomService } from "../rooms/room-service.js";

/** What resolvers use; built once per server. */
export interface Services {
  readonly config: Config;
  readonly issuer: TokenIssuer;
  readonly rooms: RoomService;
  readonly hub: RenewalHub;
  /** Room events, for `roomChanged`. */
  readonly bus: EventBus;
  readonly clock: Clock;
  /** issueToken calls per user. */
  readonly issueLimit: RateLimiter;
  /** Live and banned streams per room; absent when neither enforcement nor callbacks are configured. */
  readonly enforcement?: { view(roomId: string): Promise<EnforcementView> };
}

/** Per-operation GraphQL context. */
export interface GraphQLContext {
  /** `null` for an anonymous caller. */
  readonly viewer: Viewer | null;
  readonly services: Services;
  /** Carries the request (or connection) id. */
  readonly logger: Logger;
}
