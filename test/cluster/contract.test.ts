import { afterAll } from "vitest";
import type { RedisTarget } from "../../src/config/config.js";
import { parseHostPort, type HostPort } from "../../src/config/values.js";
import { silentLogger } from "../../src/log/logger.js";
import { createRedisBackends } from "../../src/server/redis-backends.js";
import { describeEnforcementStoreContract } from "../contract/enforcement-store.contract.js";
import { describeEventBusContract } from "../contract/event-bus.contract.js";
import { describeRoomStoreContract } from "../contract/room-store.contract.js";
import { startRedisCluster, startRedisSentinel, type TestRedisCluster, type TestRedisSentinel } from "../helpers/redis-cluster.js";

// The contract suites that run on one Redis (test/contract), run on a Redis Cluster and on Sentinel:
// room store, event bus, and the enforcement store (its keys share the {enforce} tag).

const hostPorts = (env: string): HostPort[] => env.split(",").map((s) => parseHostPort(s)!);

let cluster: Promise<TestRedisCluster> | undefined;
let sentinel: Promise<TestRedisSentinel> | undefined;
afterAll(async () => {
  await Promise.all([cluster?.then((c) => c.stop()), sentinel?.then((s) => s.stop())]);
});

async function clusterTarget(): Promise<RedisTarget> {
  cluster ??= startRedisCluster();
  return { kind: "cluster", nodes: hostPorts((await cluster).nodesEnv) };
}

async function sentinelTarget(): Promise<RedisTarget> {
  sentinel ??= startRedisSentinel();
  const s = await sentinel;
  return { kind: "sentinel", sentinels: hostPorts(s.sentinelsEnv), name: s.name };
}

async function twoInstances(target: RedisTarget, prefix: string) {
  const make = () => createRedisBackends({ target, prefix, logger: silentLogger });
  const [a, b] = await Promise.all([make(), make()]);
  return {
    a,
    b,
    close: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}

for (const [name, target] of [
  ["redis cluster", clusterTarget],
  ["redis sentinel", sentinelTarget],
] as const) {
  describeRoomStoreContract(name, async () => {
    const { a, b, close } = await twoInstances(await target(), "contract-store");
    return { stores: async () => [a.store, b.store], close };
  });
  describeEventBusContract(name, async () => {
    const { a, b, close } = await twoInstances(await target(), "contract-bus");
    return { buses: async () => [a.bus, b.bus], close };
  });
  describeEnforcementStoreContract(name, async () => {
    const { a, b, close } = await twoInstances(await target(), "contract-enforce");
    const store = (x: typeof a) => x.createEnforcementStore();
    return { stores: async () => [store(a), store(b)], close };
  });
}
