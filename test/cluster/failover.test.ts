import { afterAll, beforeAll, describe, it } from "vitest";
import { startRedisCluster, startRedisSentinel, type RedisProcess, type TestRedisCluster, type TestRedisSentinel } from "../helpers/redis-cluster.js";
import { acknowledgedSurvive, pushesAcrossFailover, type FailoverTarget } from "./failover-scenarios.js";

const inSync = async (node: RedisProcess) => (await node.admin.info("replication")).includes("master_link_status:up");
const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("Redis Cluster failover: the primary of a room's slot killed", () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const target = (): FailoverTarget => ({
    env: { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "fo" },
    async killPrimaryOf(roomId) {
      const key = `fo:room:{${roomId}}`;
      const old = await cluster.primaryFor(key);
      await old.kill();
      return {
        promoted: async () => {
          await cluster.waitForPromotion(key, old);
        },
        restart: async () => {
          await old.restart();
          await until(async () => (await old.admin.info("replication")).includes("role:slave") && (await inSync(old)), "the old primary to rejoin as a replica");
        },
      };
    },
  });

  it("changes during and after the failover reach subscribers on another instance within 5 s of the promotion", async () => {
    await pushesAcrossFailover(target(), "fo-push");
  });

  it("with REDIS_WAIT_REPLICAS=1 every change acknowledged before the kill is there after it", async () => {
    await acknowledgedSurvive(target(), "fo-durable");
  });
});

describe("Sentinel failover: the primary killed", () => {
  let sentinel: TestRedisSentinel;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  });
  afterAll(async () => {
    await sentinel?.stop();
  });
  const target = (): FailoverTarget => ({
    env: { REDIS_SENTINELS: sentinel.sentinelsEnv, REDIS_SENTINEL_NAME: sentinel.name, REDIS_PREFIX: "fo" },
    async killPrimaryOf() {
      const old = await sentinel.primary();
      await old.kill();
      let promoted: RedisProcess | undefined;
      return {
        promoted: async () => {
          promoted = await sentinel.waitForPromotion(old);
        },
        restart: async () => {
          await old.restart();
          // Sentinel would re-point it too, but only after its next 10 s INFO round; do what an operator would.
          if (promoted !== undefined) await old.admin.replicaof("127.0.0.1", promoted.port);
          await until(async () => (await old.admin.info("replication")).includes("role:slave") && (await inSync(old)), "the old primary to rejoin as a replica", 20_000);
        },
      };
    },
  });

  it("changes during and after the failover reach subscribers on another instance within 5 s of the promotion", async () => {
    await pushesAcrossFailover(target(), "so-push");
  });

  it("with REDIS_WAIT_REPLICAS=1 every change acknowledged before the kill is there after it", async () => {
    await acknowledgedSurvive(target(), "so-durable");
  });
});
