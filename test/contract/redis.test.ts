import { describe, it } from "vitest";
import { createRedisBackends } from "../../src/server/redis-backends.js";
import { silentLogger } from "../../src/log/logger.js";
import { startRedis } from "../helpers/redis.js";
import { eventually } from "../helpers/server.js";
import { describeEventBusContract } from "./event-bus.contract.js";
import { describeRoomStoreContract } from "./room-store.contract.js";

async function twoInstances() {
  const redis = await startRedis();
  const make = () => createRedisBackends({ target: { kind: "single", url: redis.url }, prefix: "contract", logger: silentLogger });
  const [a, b] = await Promise.all([make(), make()]);
  return {
    a,
    b,
    close: async () => {
      await Promise.all([a.stop(), b.stop()]);
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

describe("redis backends: who closes what", () => {
  it("stopping the store leaves the bus's subscriber connection open", async () => {
    const { a, b, close } = await twoInstances();
    try {
      await b.store.stop();
      const got: number[] = [];
      const stop = await b.bus.subscribe("owned", (e) => got.push(e.version));
      await a.bus.publish({ roomId: "owned", userIds: null, version: 1 });
      await eventually(() => got.length === 1, 3000, "delivery after the store stopped");
      stop();
    } finally {
      await close();
    }
  });
});
