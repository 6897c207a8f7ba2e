import { silentLogger, type Logger } from "../log/logger.js";
import type { EventBus } from "./bus.js";
import { createListenerRegistry } from "./listener-registry.js";

/** Options of {@link createMemoryEventBus}. */
export interface MemoryEventBusOptions {
  readonly logger?: Logger;
}

/** An in-process {@link EventBus}; events are delivered on a later microtask, as from a network. */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus {
  const registry = createListenerRegistry(options.logger ?? silentLogger);
  const resync = new Set<() => void>();
  return {
    async publish(event) {
      const frozen = Object.freeze({ ...event, userIds: event.userIds === null ? null : Object.freeze([...event.userIds]) });
      queueMicrotask(() => registry.deliver(frozen));
    },
    async subscribe(roomId, listener) {
      registry.add(roomId, listener);
      return () => {
        registry.remove(roomId, listener);
      };
    },
    onResync(listener) {
      resync.add(listener);
      return () => {
        resync.delete(listener);
      };
    },
    listenerCount: () => registry.count(),
    async ping() {},
    async stop() {
      registry.clear();
      resync.clear();
    },
  };
}
