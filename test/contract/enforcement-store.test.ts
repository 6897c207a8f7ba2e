import { silentLogger } from "../../src/log/logger.js";
import { createMemoryEnforcementStore } from "../../src/enforcement/memory-store.js";
import { createRedisEnforcementStore } from "../../src/enforcement/redis-store.js";
import { closeRedis, createRedisConnection } from "../../src/redis/connection.js";
import { startRedis } from "../helpers/redis.js";
import { describeEnforcementStoreContract } from "./enforcement-store.contract.js";

describeEnforcementStoreContract("memory", async () => {
  const store = createMemoryEnforcementStore();
  return { stores: async () => [store, store], close: () => store.stop() };
});

describeEnforcementStoreContract("redis", async () => {
  const redis = await startRedis();
  const connect = async () => {
    const c = createRedisConnection({ target: { kind: "single", url: redis.url }, role: "commands", name: "enforce-contract", logger: silentLogger, offlineQueue: false });
    await c.connect();
    return c;
  };
  const [ca, cb] = await Promise.all([connect(), connect()]);
  return {
    stores: async () => [createRedisEnforcementStore({ redis: ca, prefix: "ec" }), createRedisEnforcementStore({ redis: cb, prefix: "ec" })],
    close: async () => {
      await Promise.all([closeRedis(ca), closeRedis(cb)]);
      await redis.stop();
    },
  };
});
