import type { Clock } from "../clock/clock.js";
import { createMemoryEnforcementStore } from "../enforcement/memory-store.js";
import { createMemoryEventBus } from "../events/memory-bus.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { createMemoryRoomStore } from "../rooms/memory-store.js";
import type { Backends } from "./backend-profile.js";

/** Options of {@link createMemoryBackends}. */
export interface MemoryBackendsOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
  /** History entries kept per room; default 1000. */
  readonly historyLength?: number;
}

/** Store, bus and enforcement queue in this process: one instance, nothing shared, nothing to connect. */
export function createMemoryBackends(options: MemoryBackendsOptions = {}): Backends {
  const store = createMemoryRoomStore({
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.historyLength === undefined ? {} : { historyLength: options.historyLength }),
  });
  const bus = createMemoryEventBus({ logger: options.logger ?? silentLogger });
  return {
    kind: "memory",
    store,
    bus,
    createEnforcementStore: () => createMemoryEnforcementStore(),
    async stop() {
      await Promise.allSettled([bus.stop(), store.stop()]);
    },
  };
}
