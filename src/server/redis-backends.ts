import type { Clock } from "../clock/clock.js";
import type { Logger } from "../log/logger.js";
import type { Backends } from "./backends.js";

/** Options of {@link createRedisBackends}. */
export interface RedisBackendsOptions {
  readonly url: string;
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Redis store and bus (not yet available). */
export async function createRedisBackends(_options: RedisBackendsOptions): Promise<Backends> {
  throw new Error("REDIS_URL is not supported yet");
}
