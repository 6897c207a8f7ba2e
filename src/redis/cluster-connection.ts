import { Cluster } from "ioredis";
import type { HostPort } from "../config/values.js";
import type { Logger } from "../log/logger.js";
import { COMMAND_TIMEOUT_MS, logConnectionErrors } from "./connection.js";

/** Options of {@link createRedisClusterConnection}. */
export interface RedisClusterConnectionOptions {
  /** Startup nodes; the rest of the cluster is discovered from them. */
  readonly nodes: readonly HostPort[];
  /** Name for logs. */
  readonly role: string;
  /** CLIENT SETNAME value of every node connection. */
  readonly name: string;
  readonly logger: Logger;
}

/** How often the slot map is re-read even when nothing failed, so resharding is noticed. */
const SLOTS_REFRESH_INTERVAL_MS = 5000;

/**
 * An ioredis Cluster for commands: always on primaries, failing fast (UNAVAILABLE) rather than queueing
 * while a shard is down, following MOVED/ASK and failovers by re-reading the slot map.
 */
export function createRedisClusterConnection(options: RedisClusterConnectionOptions): Cluster {
  const cluster = new Cluster(
    options.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      lazyConnect: true,
      scaleReads: "master",
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      maxRedirections: 16,
      slotsRefreshTimeout: 1000,
      slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
      redisOptions: {
        keepAlive: 10_000,
        connectTimeout: 2000,
        commandTimeout: COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        connectionName: options.name,
      },
    },
  );
  logConnectionErrors(cluster, options.role, options.logger);
  return cluster;
}
