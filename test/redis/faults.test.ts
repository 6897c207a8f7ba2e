import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { runTs, type Child } from "../helpers/process.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { eventually, startTestServer, subscribe, TEST_ENV, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, ROOM, type RenewedResult } from "../service/ops.js";

let redis: TestRedis | undefined;
const servers: TestServer[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await redis?.stop();
  redis = undefined;
});

async function pair(env: Record<string, string>): Promise<[TestServer, TestServer]> {
  const [a, b] = await Promise.all([startTestServer({ env, instanceName: "fault-a" }), startTestServer({ env, instanceName: "fault-b" })]);
  servers.push(a, b);
  return [a, b];
}

describe("faults", () => {
  it("CLIENT KILL of an instance's connections while another changes privileges: the subscriber has the truth within 2 s", async () => {
    redis = await startRedis();
    const [a, b] = await pair({ REDIS_URL: redis.url });
    const sub = subscribe<RenewedResult>(await b.ws("alice"), RENEWED, { roomId: "f-kill" });
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("INITIAL");

    const killB = async () => {
      const list = (await redis!.admin.client("LIST")) as string;
      const ids = list.split("\n").filter((l) => /name=fault-b-/.test(l)).map((l) => /id=(\d+)/.exec(l)?.[1]);
      expect(ids.length).toBe(2);
      for (const id of ids) await redis!.admin.client("KILL", "ID", id!);
    };

    // 1. Killed while A changes privileges: whether the event or the RESYNC wins, alice ends right.
    await killB();
    const started = Date.now();
    expect((await a.gql(GRANT, { roomId: "f-kill", userId: "alice", streamIds: ["f-kill_a"] }, "service")).errors).toBeUndefined();
    const push = (await sub.next(2000)).data!.tokenRenewed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(["RESYNC", "PRIVILEGE_CHANGED"]).toContain(push.reason);
    expect(push.token).toMatchObject({ canPublish: true, streamIds: ["f-kill_a"] });

    // 2. A change whose event is lost for sure (stored without publishing), then the kill: RESYNC carries it.
    await a.server.backends.store.applyChange("f-kill", { kind: "revokePublish", userId: "alice" });
    expect(await sub.drain(200)).toEqual([]);
    await killB();
    const resync = (await sub.next(2000)).data!.tokenRenewed;
    expect(resync.reason).toBe("RESYNC");
    expect(resync.token.canPublish).toBe(false);
    sub.dispose();
  });

  it("redis-server killed and restarted with AOF: UNAVAILABLE meanwhile, nothing half-written, then everyone holds the true state", async () => {
    redis = await startRedis({ aof: true });
    const [a, b] = await pair({ REDIS_URL: redis.url });
    await a.gql(GRANT, { roomId: "f-restart", userId: "alice", streamIds: ["s1"] }, "service");
    const subA = subscribe<RenewedResult>(await a.ws("alice"), RENEWED, { roomId: "f-restart" });
    const subB = subscribe<RenewedResult>(await b.ws("bob"), RENEWED, { roomId: "f-restart" });
    expect((await subA.next()).data!.tokenRenewed.token.canPublish).toBe(true);
    expect((await subB.next()).data!.tokenRenewed.token.canPublish).toBe(false);

    await redis.kill();
    const during = await a.gql(GRANT, { roomId: "f-restart", userId: "bob" }, "service");
    expect(during.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
    const issue = await b.gql(ISSUE, { roomId: "f-restart" }, "bob");
    expect(issue.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
    expect((await fetch(`${a.server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${a.server.url}/healthz`)).status).toBe(200);

    await redis.restart();
    await eventually(async () => (await fetch(`${b.server.url}/readyz`)).status === 200, 10_000, "readyz after restart");
    await eventually(async () => (await fetch(`${a.server.url}/readyz`)).status === 200, 10_000, "readyz after restart");
    const room = (await b.gql<{ room: { version: number; publishers: unknown } }>(ROOM, { roomId: "f-restart" }, "service")).data!.room;
    expect(room).toEqual({ roomId: "f-restart", access: "OPEN", members: [], publishers: [{ userId: "alice", streamIds: ["s1"] }], hasPublishRules: true, version: 1 });

    // Turn change after recovery reaches both instances.
    await eventually(async () => (await b.gql(GRANT, { roomId: "f-restart", userId: "bob", streamIds: ["s2"] }, "service")).errors === undefined, 5000, "a grant to succeed");
    const pushB = (await subB.next(3000)).data!.tokenRenewed;
    expect(pushB.token).toMatchObject({ canPublish: true, streamIds: ["s2"] });
    const stillA = await subA.drain(300);
    for (const p of stillA) expect(p.data!.tokenRenewed.token.canPublish).toBe(true);
    subA.dispose();
    subB.dispose();
  });

  it("an instance process killed with SIGKILL: its clients reconnect to another and get a current token", async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      ...TEST_ENV,
      LOG_LEVEL: "info",
    };
    const p1 = runTs("src/cli/start.ts", env);
    const p2 = runTs("src/cli/start.ts", env);
    children.push(p1, p2);
    const url1 = (await p1.waitFor(/"url":"([^"]+)"[^\n]*"msg":"listening"/, 20_000, "stderr"))[1]!;
    const url2 = (await p2.waitFor(/"url":"([^"]+)"[^\n]*"msg":"listening"/, 20_000, "stderr"))[1]!;
    const urls = [url1, url2].map((u) => `${u.replace(/^http/, "ws")}/graphql`);
    let attempt = 0;
    const jwt = await signUserJwt({ secret: TEST_SECRETS.jwtSecret, userId: "alice", ttlSeconds: 3600, nowMs: Date.now() });
    const client = createClient({
      url: () => urls[attempt++ % 2]!,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${jwt}` },
      retryAttempts: 20,
      retryWait: async () => new Promise((r) => setTimeout(r, 100)),
      shouldRetry: () => true,
    });
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "f-sigkill" });
    expect((await sub.next(10_000)).data!.tokenRenewed.token.canPublish).toBe(false);

    p1.kill("SIGKILL");
    await p1.exited;
    const grant = await fetch(`${url2}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": TEST_SECRETS.apiKey },
      body: JSON.stringify({ query: GRANT, variables: { roomId: "f-sigkill", userId: "alice", streamIds: ["f-sigkill_a"] } }),
    });
    expect(((await grant.json()) as { errors?: unknown }).errors).toBeUndefined();
    const push = (await sub.next(10_000)).data!.tokenRenewed;
    expect(["INITIAL", "PRIVILEGE_CHANGED", "RESYNC"]).toContain(push.reason);
    expect(push.token).toMatchObject({ canPublish: true, streamIds: ["f-sigkill_a"] });
    await client.dispose();
  });
});
