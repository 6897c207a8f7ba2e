import { Redis, type Cluster } from "ioredis";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { withTimeout } from "../util/timeout.js";
import { keySlot } from "./key-slot.js";

/** Options of {@link createShardSubscriber}. */
export interface ShardSubscriberOptions {
  /** The command cluster; its slot map says which primary serves a channel. */
  readonly cluster: Cluster;
  /** CLIENT SETNAME of the per-primary subscriber connections. */
  readonly name: string;
  readonly logger: Logger;
  /** A message on a subscribed shard channel. */
  readonly onMessage: (channel: string, message: string) => void;
  /**
   * Every wanted channel is subscribed again after some were not (a primary died, failed over, a
   * connection dropped, a slot moved): messages may have been lost meanwhile.
   */
  readonly onRecovered: () => void;
}

/** Sharded pub/sub subscriptions across a Redis Cluster. */
export interface ShardSubscriber {
  /** SSUBSCRIBEs on the primary serving the channel's slot; resolves once Redis confirmed it. */
  subscribe(channel: string): Promise<void>;
  /** SUNSUBSCRIBEs (with the channel named; never the no-argument form). */
  unsubscribe(channel: string): void;
  stop(): Promise<void>;
}

interface NodeSub {
  readonly key: string;
  readonly redis: Redis;
  /** Channels confirmed subscribed on this connection. */
  readonly channels: Set<string>;
}

const SSUBSCRIBE_TIMEOUT_MS = 2000;
const REPAIR_DELAYS_MS = [0, 100, 200, 400, 800, 1000];

/**
 * One subscriber connection per primary that serves a wanted channel, driven by the cluster's slot
 * map. ioredis's own `shardedSubscribers` group re-subscribes without waiting for Redis to confirm and
 * reports "ready" even when a shard's subscriber failed to start, so subscribers could not re-read
 * state strictly after their subscriptions were live again. Here a lost connection, a primary that
 * died, or a slot that moved marks the subscription damaged; a repair loop re-reads the slot map,
 * SSUBSCRIBEs each channel on its current primary, waits for Redis to confirm every one, and only
 * then calls `onRecovered`.
 */
export function createShardSubscriber(options: ShardSubscriberOptions): ShardSubscriber {
  const { cluster, logger } = options;
  const wanted = new Set<string>();
  const live = new Map<string, NodeSub>();
  const nodes = new Map<string, NodeSub>();
  const placing = new Map<string, Promise<void>>();
  let damaged = false;
  let repairRunning = false;
  let repairAgain = false;
  let repairTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastErrorLog = 0;

  const ownerOf = (channel: string): string | undefined => cluster.slots[keySlot(channel)]?.[0];

  const dropNode = (sub: NodeSub, why: string) => {
    if (nodes.get(sub.key) !== sub) return;
    nodes.delete(sub.key);
    for (const ch of sub.channels) {
      if (live.get(ch) === sub) live.delete(ch);
      if (wanted.has(ch)) damaged = true;
    }
    sub.channels.clear();
    sub.redis.disconnect(false);
    if (damaged) {
      logger.warn("shard subscriber lost, resubscribing", { node: sub.key, reason: why });
      scheduleRepair();
    }
  };

  const nodeSub = (key: string): NodeSub => {
    const existing = nodes.get(key);
    if (existing !== undefined) return existing;
    const sep = key.lastIndexOf(":");
    const redis = new Redis({
      host: key.slice(0, sep),
      port: Number(key.slice(sep + 1)),
      connectionName: options.name,
      lazyConnect: false,
      keepAlive: 10_000,
      connectTimeout: 2000,
      // No reconnects of its own: a dropped connection is replaced by the repair loop, on whichever
      // primary serves the channels by then.
      retryStrategy: () => null,
      autoResubscribe: false,
      // ioredis writes SSUBSCRIBE (a "loading"-flagged command) while still handshaking; the INFO of its
      // ready check then fails ("Connection in subscriber mode") and the connection is dropped. Without the
      // check (and the asynchronous CLIENT SETINFO) nothing but SSUBSCRIBE/SUNSUBSCRIBE is ever sent.
      enableReadyCheck: false,
      disableClientInfo: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
    });
    const sub: NodeSub = { key, redis, channels: new Set() };
    nodes.set(key, sub);
    redis.on("smessage", (channel: string, message: string) => {
      if (live.get(channel) === sub) options.onMessage(channel, message);
    });
    redis.on("error", (e: unknown) => {
      const message = e instanceof Error ? e.message : "";
      // A slot moved away: Redis sent an unrequested SUNSUBSCRIBE, which ioredis cannot match to a command.
      if (message.includes("Command queue state error")) dropNode(sub, "unrequested reply");
      const now = Date.now();
      if (now - lastErrorLog < 1000) return;
      lastErrorLog = now;
      logger.warn("redis connection error", { role: "shard-subscriber", error: errorName(e) });
    });
    redis.on("close", () => dropNode(sub, "connection closed"));
    return sub;
  };

  /** SSUBSCRIBEs `channel` on its current primary, unless it is live there already. */
  const place = (channel: string): Promise<void> => {
    const pending = placing.get(channel);
    if (pending !== undefined) return pending;
    const run = (async () => {
      const key = ownerOf(channel);
      if (key === undefined) throw new UnavailableError("no primary serves the channel's slot yet");
      const current = live.get(channel);
      if (current?.key === key && nodes.get(key) === current) return;
      if (current !== undefined) {
        live.delete(channel);
        current.channels.delete(channel);
        if (nodes.get(current.key) === current) current.redis.sunsubscribe(channel).catch(() => undefined);
      }
      const sub = nodeSub(key);
      await withTimeout(sub.redis.ssubscribe(channel), SSUBSCRIBE_TIMEOUT_MS, () => new UnavailableError("shard subscribe timed out"));
      if (nodes.get(key) !== sub) throw new UnavailableError("shard subscriber connection was lost");
      if (!wanted.has(channel)) {
        sub.redis.sunsubscribe(channel).catch(() => undefined);
        return;
      }
      sub.channels.add(channel);
      live.set(channel, sub);
    })();
    placing.set(channel, run);
    const forget = () => {
      if (placing.get(channel) === run) placing.delete(channel);
    };
    run.then(forget, forget);
    return run;
  };

  const misplaced = () => [...wanted].filter((ch) => {
    const sub = live.get(ch);
    return sub === undefined || nodes.get(sub.key) !== sub || ownerOf(ch) !== sub.key;
  });

  const refreshSlots = () =>
    new Promise<void>((resolve) => {
      cluster.refreshSlotsCache(() => resolve());
    });

  const repair = async (): Promise<void> => {
    if (repairRunning) {
      repairAgain = true;
      return;
    }
    repairRunning = true;
    try {
      for (let attempt = 0; !stopped; attempt++) {
        repairAgain = false;
        await refreshSlots();
        const todo = misplaced();
        if (todo.length > 0) damaged = true;
        const results = await Promise.allSettled(todo.map(place));
        if (stopped) return;
        if (results.every((r) => r.status === "fulfilled") && !repairAgain && misplaced().length === 0) {
          if (damaged) {
            damaged = false;
            logger.info("shard subscriptions restored", { channels: wanted.size });
            try {
              options.onRecovered();
            } catch (e) {
              logger.error("resync after shard recovery failed", { error: errorName(e) });
            }
          }
          return;
        }
        await new Promise((r) => setTimeout(r, REPAIR_DELAYS_MS[Math.min(attempt + 1, REPAIR_DELAYS_MS.length - 1)]));
      }
    } finally {
      repairRunning = false;
    }
  };

  function scheduleRepair(): void {
    if (stopped || repairTimer !== undefined) return;
    repairTimer = setTimeout(() => {
      repairTimer = undefined;
      repair().catch((e: unknown) => logger.error("shard subscription repair failed", { error: errorName(e) }));
    }, 0);
  }

  // The slot map changed (failover, resharding, periodic refresh): move channels whose slot moved.
  const onRefresh = () => {
    if (!stopped && misplaced().some((ch) => live.has(ch))) scheduleRepair();
  };
  cluster.on("refresh", onRefresh);

  return {
    async subscribe(channel) {
      wanted.add(channel);
      await place(channel);
    },
    unsubscribe(channel) {
      wanted.delete(channel);
      const sub = live.get(channel);
      if (sub === undefined) return;
      live.delete(channel);
      sub.channels.delete(channel);
      if (nodes.get(sub.key) === sub) {
        sub.redis.sunsubscribe(channel).catch((e: unknown) => logger.warn("sunsubscribe failed", { error: errorName(e) }));
      }
    },
    async stop() {
      stopped = true;
      cluster.off("refresh", onRefresh);
      if (repairTimer !== undefined) clearTimeout(repairTimer);
      wanted.clear();
      live.clear();
      const subs = [...nodes.values()];
      nodes.clear();
      for (const sub of subs) sub.redis.disconnect(false);
    },
  };
}
