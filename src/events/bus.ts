/** A committed room change: who may be affected and the room version it produced. Never carries tokens. */
export interface RoomEvent {
  readonly roomId: string;
  /** Affected users; `null` means every user of the room. */
  readonly userIds: readonly string[] | null;
  readonly version: number;
  /** The room's epoch: versions compare only within one (see RoomState.epoch). */
  readonly epoch?: string;
  /** When the change was stored (unix ms, the publishing instance's clock), for push-latency metrics. */
  readonly committedAtMs?: number;
}

/** Receives room events. */
export type RoomEventListener = (event: RoomEvent) => void;

/** Stops a listener; safe to call twice. */
export type Unsubscribe = () => void;

/**
 * Fans room events out to every instance. Delivery is at-most-once: after a reconnect the bus calls
 * its resync listeners so subscribers re-read state. Implementations: memory (one process) and Redis.
 */
export interface EventBus {
  /** Publishes an event; rejects with `UnavailableError` when it cannot be sent. */
  publish(event: RoomEvent): Promise<void>;
  /** Listens to one room's events; resolves once the listener is active. */
  subscribe(roomId: string, listener: RoomEventListener): Promise<Unsubscribe>;
  /** Called after the bus recovered from a disconnect, when events may have been lost. */
  onResync(listener: () => void): Unsubscribe;
  /** Room listeners currently registered (for leak checks and metrics). */
  listenerCount(): number;
  /** Resolves when the bus can deliver; throws `UnavailableError` otherwise. */
  ping(): Promise<void>;
  /** Drops every listener and releases connections. */
  stop(): Promise<void>;
}
