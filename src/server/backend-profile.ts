import type { EnforcementStore } from "../enforcement/store.js";
import type { EventBus } from "../events/bus.js";
import type { RedisClient } from "../redis/connection.js";
import type { RoomStore } from "../rooms/store.js";

/**
 * The I/O parts a server runs on, all on one backend: memory (one process) or Redis. Chosen once, by
 * `createBackends`; everything else asks the profile instead of checking which backend it is.
 */
export interface Backends {
  /** "memory" or "redis", for logs and health output. */
  readonly kind: "memory" | "redis";
  readonly store: RoomStore;
  readonly bus: EventBus;
  /** The command connection, for rate limits shared across instances (Redis only). */
  readonly redis?: RedisClient;
  /** The durable queue of enforcement actions, on the same backend. */
  createEnforcementStore(): EnforcementStore;
  /** Stops the bus and the store, then closes every connection the profile opened. */
  stop(): Promise<void>;
}
