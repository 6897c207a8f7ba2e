/** What a transport reports to its bus. */
export interface TransportHandlers {
  /** A message arrived on a room's channel (not yet parsed: transports only carry strings). */
  onMessage(roomId: string, message: string): void;
  /** Every channel is subscribed again after some were not: messages may have been lost meanwhile. */
  onRecovered(): void;
}

/**
 * Moves serialised room events between instances: in memory, over Redis pub/sub, or over Redis
 * Cluster sharded pub/sub. It knows channels, not listeners; the bus keeps those.
 */
export interface BusTransport {
  /** Sends a message to the room's channel; rejects when it cannot be sent. */
  publish(roomId: string, message: string): Promise<void>;
  /** Subscribes to the room's channel; resolves once the server confirmed it. */
  subscribe(roomId: string): Promise<void>;
  /** Unsubscribes from the room's channel (failures are logged, not thrown). */
  unsubscribe(roomId: string): void;
  /** Resolves when the transport can deliver; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases what the transport owns (its subscriber connections, never the command connection). */
  stop(): Promise<void>;
}

/** Creates a transport wired to its bus's handlers. */
export type BusTransportFactory = (handlers: TransportHandlers) => BusTransport;
