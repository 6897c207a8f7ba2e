import { startRedis, type TestRedis } from "../helpers/redis.js";
import { describeLostPush } from "./lost-push-scenarios.js";

// A push lost with its instance, on one Redis: the reconnecting client ends with the current token at once.
let redis: TestRedis | undefined;
describeLostPush("a push lost with its instance (single Redis)", {
  async start() {
    redis = await startRedis();
    return { REDIS_URL: redis.url, REDIS_PREFIX: "lost" };
  },
  stop: async () => redis?.stop(),
});
