import { startRedisCluster, type TestRedisCluster } from "../helpers/redis-cluster.js";
import { describeLostPush } from "../redis/lost-push-scenarios.js";

// A push lost with its instance, on a 3-primary, 3-replica Redis Cluster.
let cluster: TestRedisCluster | undefined;
describeLostPush("a push lost with its instance (Redis Cluster)", {
  async start() {
    cluster = await startRedisCluster();
    return { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_PREFIX: "lost", REDIS_WAIT_REPLICAS: "1" };
  },
  stop: async () => cluster?.stop(),
  async killPrimaryOf(roomId) {
    const key = `lost:room:{${roomId}}`;
    const old = await cluster!.primaryFor(key);
    await old.kill();
    return { promoted: async () => void (await cluster!.waitForPromotion(key, old)) };
  },
});
