import { silentLogger, type Logger } from "../log/logger.js";
import type { EventBus } from "./bus.js";
import { createEventBus } from "./event-bus.js";
import type { BusTransportFactory } from "./transport.js";

/** Options of {@link createMemoryEventBus}. */
export interface MemoryEventBusOptions {
  readonly logger?: Logger;
}

/** A transport inside one process: messages arrive on a later microtask, as from a network. */
const memoryTransport: BusTransportFactory = (handlers) => ({
  async publish(roomId, message) {
    queueMicrotask(() => handlers.onMessage(roomId, message));
  },
  async subscribe() {},
  unsubscribe() {},
  async ping() {},
  async stop() {},
});

/** An in-process {@link EventBus}. */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus {
  return createEventBus({ transport: memoryTransport, logger: options.logger ?? silentLogger });
}
