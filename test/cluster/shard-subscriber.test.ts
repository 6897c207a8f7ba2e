import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomEvent } from "../../src/events/bus.js";
import { parseHostPort } from "../../src/config/values.js";
import { silentLogger } from "../../src/log/logger.js";
import { createRedisBackends } from "../../src/server/redis-backends.js";
import type { Backends } from "../../src/server/backends.js";
import { startRedisCluster, type TestRedisCluster } from "../helpers/redis-cluster.js";
import { eventually } from "../helpers/server.js";

let cluster: TestRedisCluster;
const opened: Backends[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  for (const b of opened) await b.stop();
  await cluster?.stop();
});

async function backends(prefix: string, clientName?: string): Promise<Backends> {
  const target = { kind: "cluster", nodes: cluster.nodesEnv.split(",").map((s) => parseHostPort(s)!) } as const;
  const b = await createRedisBackends({ target, prefix, logger: silentLogger, ...(clientName === undefined ? {} : { clientName }) });
  opened.push(b);
  return b;
}

describe("sharded subscriptions", () => {
  it("subscribing to rooms while the per-primary connections are still being opened fails none and loses no event", async () => {
    const [pub, sub] = [await backends("ss"), await backends("ss")];
    const got = new Set<string>();
    const rooms = Array.from({ length: 150 }, (_, i) => `ss-${i}`);
    // Spread over the first milliseconds of the connections' handshakes.
    const results = await Promise.allSettled(
      rooms.map(async (room, i) => {
        await new Promise((r) => setTimeout(r, i % 15));
        return sub.bus.subscribe(room, (e: RoomEvent) => got.add(e.roomId));
      }),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const room of rooms) await pub.bus.publish({ roomId: room, userIds: null, version: 1 });
    await eventually(() => got.size === rooms.length, 3000, "every room's event");
  });

  it("a killed subscriber connection is replaced and resync listeners run once it is subscribed again", async () => {
    const [pub, sub] = [await backends("rk"), await backends("rk", "rk-sub")];
    const got: number[] = [];
    let resyncs = 0;
    sub.bus.onResync(() => resyncs++);
    await sub.bus.subscribe("rk-room", (e) => got.push(e.version));
    const owner = await cluster.primaryFor("rk:events:{rk-room}");
    const list = (await owner.admin.client("LIST")) as string;
    const ids = list.split("\n").filter((l) => l.includes("name=rk-sub-subscriber ")).map((l) => /id=(\d+)/.exec(l)?.[1]).filter((x) => x !== undefined);
    expect(ids.length).toBe(1);
    await owner.admin.client("KILL", "ID", ids[0]!);
    await eventually(() => resyncs === 1, 3000, "a resync");
    await pub.bus.publish({ roomId: "rk-room", userIds: null, version: 2 });
    await eventually(() => got.includes(2), 3000, "the event after the resync");
  });
});
