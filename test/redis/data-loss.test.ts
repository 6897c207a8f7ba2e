import { afterEach, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { GRANT, RENEWED, type RenewedResult } from "../service/ops.js";

let redis: TestRedis | undefined;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await redis?.stop();
  redis = undefined;
});

const metric = async (t: TestServer, name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(await (await fetch(`${t.server.url}/metrics`)).text())?.[1] ?? 0);

describe("Redis that lost its data", () => {
  it("subscribers who saw version 6 still get every later change; the loss is logged and counted", async () => {
    redis = await startRedis();
    const [a, b] = await Promise.all([startTestServer({ env: { REDIS_URL: redis.url } }), startTestServer({ env: { REDIS_URL: redis.url } })]);
    servers.push(a, b);
    const sub = subscribe<RenewedResult>(await b.ws("alice"), RENEWED, { roomId: "lost" });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");
    for (let i = 0; i < 3; i++) {
      await a.gql(GRANT, { roomId: "lost", userId: "alice", streamIds: [`s${i}`] }, "service");
      await a.gql(GRANT, { roomId: "lost", userId: "bob", streamIds: [`b${i}`] }, "service");
    }
    await expect.poll(async () => sub.buffered.length + (await sub.drain(50)).length).toBeGreaterThan(0);
    await sub.drain(100);

    // The data is gone (a restart without persistence): versions restart at 1, under a new epoch.
    await redis.admin.flushall();
    const r = await a.gql<{ grantPublish: { version: number } }>(GRANT, { roomId: "lost", userId: "alice", streamIds: ["after-loss"] }, "service");
    expect(r.data!.grantPublish.version).toBe(1);
    const push = (await sub.next(3000)).data!.tokenRenewed;
    expect(push.token).toMatchObject({ canPublish: true, streamIds: ["after-loss"] });
    await expect.poll(() => metric(b, "zts_room_state_lost_total")).toBeGreaterThanOrEqual(1);
    sub.dispose();
  });
});

describe("a write whose outcome is unknown", () => {
  it("times out as UNAVAILABLE but lands later: the game server's retry changes nothing, yet the push goes out", async () => {
    redis = await startRedis();
    const t = await startTestServer({ env: { REDIS_URL: redis.url } });
    servers.push(t);
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "unknown" });
    expect((await sub.next()).data!.tokenRenewed.token.canPublish).toBe(false);

    // Writes wait 2.5 s: longer than the 2 s command timeout, so the EVAL's reply comes too late.
    await redis.admin.call("CLIENT", "PAUSE", "2500", "WRITE");
    const first = await t.gql(GRANT, { roomId: "unknown", userId: "alice" }, "service");
    expect(first.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
    await new Promise((r) => setTimeout(r, 800));
    const retry = await t.gql<{ grantPublish: { version: number } }>(GRANT, { roomId: "unknown", userId: "alice" }, "service");
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.grantPublish.version).toBe(1);
    const push = (await sub.next(3000)).data!.tokenRenewed;
    expect(push.token.canPublish).toBe(true);
    sub.dispose();
  });
});
