import { createRedisBackends } from "../../src/server/redis-backends.js";
import { silentLogger } from "../../src/log/logger.js";
import { startRedis } from "../helpers/redis.js";
import { describeEventBusContract } from "./event-bus.contract.js";
import { describeRoomStoreContract } from "./room-store.contract.js";

async function twoInstances() {
  const redis = await startRedis();
  const make = () => createRedisBackends({ url: redis.url, prefix: "contract", logger: silentLogger });
  const [a, b] = await Promise.all([make(), make()]);
  return {
    a,
    b,
    close: async () => {
      await Promise.all([a.store.stop(), b.store.stop(), a.bus.stop(), b.bus.stop()]);
      await redis.stop();
    },
  };
}

describeRoomStoreContract("redis", async () => {
  const { a, b, close } = await twoInstances();
  return { stores: async () => [a.store, b.store], close };
});

describeEventBusContract("redis", async () => {
  const { a, b, close } = await twoInstances();
  return { buses: async () => [a.bus, b.bus], close };
});
