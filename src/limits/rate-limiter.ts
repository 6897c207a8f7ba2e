import type { RedisClient } from "../redis/connection.js";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { RateLimitedError } from "../errors/service-errors.js";

/** A fixed-window limit of `points` per `durationSeconds` per key. */
export interface RateLimiter {
  /** Takes one point for `key`; throws RateLimitedError when the key is over its limit. */
  consume(key: string): Promise<void>;
  /** Throws RateLimitedError if `key` is over its limit, without taking a point. */
  check(key: string): Promise<void>;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Names the limit in storage keys, e.g. `issue`. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  /** Share the limit across instances through this Redis connection; in memory otherwise. */
  readonly redis?: RedisClient;
  /** Key prefix in Redis. */
  readonly prefix?: string;
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * Creates a {@link RateLimiter} with rate-limiter-flexible: in Redis when given a connection (so the
 * limit holds across instances, with an in-memory limiter standing in while Redis is unreachable),
 * else in memory.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const base = { points: options.points, duration: options.durationSeconds, keyPrefix: `${options.prefix ?? "zts"}:rl:${options.name}` };
  const limiter: RateLimiterAbstract =
    options.redis === undefined
      ? new RateLimiterMemory(base)
      : new RateLimiterRedis({ ...base, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(base) });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw new RateLimitedError(retryAfter(e));
        throw e;
      }
    },
    async check(key) {
      let res: RateLimiterRes | null;
      try {
        res = await limiter.get(key);
      } catch {
        // The limit's store is unreachable: checking fails open; consume() falls back to memory.
        return;
      }
      if (res !== null && res.remainingPoints <= 0) throw new RateLimitedError(retryAfter(res));
    },
  };
}
