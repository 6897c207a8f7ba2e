import { silentLogger } from "../../src/log/logger.js";
import { createMemoryEnforcementStore } from "../../src/enforcement/memory-store.js";
import { createRedisEnforcementStore } from "../../src/enforcement/redis-store.js";
import { closeRedis, createRedisConnection } from "../../src/redis/connection.js";
import { startRedis } from "../helpers/redis.js";
import { describeEnforcementStoreContract, type EnforcementStoreHarness } from "./enforcement-store.contract.js";

const memory = async (): Promise<EnforcementStoreHarness> => {
  const store = createMemoryEnforcementStore();
  return { stores: async () => [store, store], close: () => store.stop() };
};

const redisHarness = async (): Promise<EnforcementStoreHarness> => {
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
};

describeEnforcementStoreContract("memory", memory);
describeEnforcementStoreContract("redis", redisHarness);
