import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { GRANT, ISSUE, RENEWED, type RenewedResult } from "../service/ops.js";

let t: TestServer | undefined;
let redis: TestRedis | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
  await redis?.stop();
  redis = undefined;
});

const metricValue = (text: string, line: RegExp) => Number(text.split("\n").find((l) => line.test(l))?.split(" ").pop() ?? Number.NaN);

describe("/metrics", () => {
  it("counts tokens, pushes by reason, auth failures, subscriptions and push latency, with process defaults", async () => {
    t = await startTestServer({ env: { ALLOW_BASIC_TOKENS: "true" } });
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "met" });
    await sub.next();
    await t.gql(ISSUE, { roomId: "met" }, "bob");
    await t.gql(ISSUE, {}, "bob");
    await t.gql(GRANT, { roomId: "met", userId: "alice" }, "service");
    await sub.next();
    await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer nope" }, body: JSON.stringify({ query: "{ viewer { userId } }" }) });

    const res = await fetch(`${t.server.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(metricValue(text, /^zts_tokens_issued_total\{kind="room"\}/)).toBe(3);
    expect(metricValue(text, /^zts_tokens_issued_total\{kind="basic"\}/)).toBe(1);
    expect(metricValue(text, /^zts_token_pushes_total\{reason="INITIAL"\}/)).toBe(1);
    expect(metricValue(text, /^zts_token_pushes_total\{reason="PRIVILEGE_CHANGED"\}/)).toBe(1);
    expect(metricValue(text, /^zts_auth_failures_total\{transport="http"\}/)).toBe(1);
    expect(metricValue(text, /^zts_active_subscriptions /)).toBe(1);
    // Memory mode has no Redis: the gauge is absent rather than a misleading 1.
    expect(text).not.toMatch(/^zts_redis_up /m);
    expect(metricValue(text, /^zts_open_connections /)).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, /^zts_push_latency_seconds_count /)).toBe(1);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    sub.dispose();
  });

  it("reports the event-loop delay beyond the sampling interval since the previous scrape", async () => {
    t = await startTestServer();
    const read = async () => (await fetch(`${t?.server.url}/metrics`)).text();
    await read();
    await new Promise((r) => setTimeout(r, 200));
    const idle = await read();
    expect(metricValue(idle, /^zts_event_loop_delay_seconds\{quantile="1"\}/)).toBeLessThan(0.05);
    // The server runs in this process: blocking here blocks its loop.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 50));
    const blocked = await read();
    expect(metricValue(blocked, /^zts_event_loop_delay_seconds\{quantile="1"\}/)).toBeGreaterThanOrEqual(0.25);
    expect(metricValue(blocked, /^zts_event_loop_delay_seconds\{quantile="0.99"\}/)).toBeGreaterThanOrEqual(0);
  });

  it("reports zts_redis_up 0 while Redis is down", async () => {
    redis = await startRedis();
    t = await startTestServer({ env: { REDIS_URL: redis.url } });
    expect(metricValue(await (await fetch(`${t.server.url}/metrics`)).text(), /^zts_redis_up /)).toBe(1);
    await redis.kill();
    expect(metricValue(await (await fetch(`${t.server.url}/metrics`)).text(), /^zts_redis_up /)).toBe(0);
  });
});

describe("structured logs", () => {
  it("are JSON lines with a request id (taken from x-request-id when given) and honour the level", async () => {
    const lines: string[] = [];
    t = await startTestServer({ logger: createLogger({ level: "info", write: (l) => lines.push(l) }) });
    const res = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "req-123" }, body: JSON.stringify({ query: "{ serverTime }" }) });
    expect(res.headers.get("x-request-id")).toBe("req-123");
    await fetch(`${t.server.url}/healthz`);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.find((l) => l["requestId"] === "req-123")).toMatchObject({ level: "info", msg: "request", method: "POST", path: "/graphql", status: 200 });
    expect(parsed.filter((l) => l["msg"] === "request").every((l) => typeof l["requestId"] === "string")).toBe(true);

    const quiet: string[] = [];
    const q = createLogger({ level: "warn", write: (l) => quiet.push(l) });
    q.info("hidden");
    q.warn("shown", { authorization: "Bearer abc", nested: { token: "04xyz" } });
    expect(quiet).toHaveLength(1);
    expect(quiet[0]).not.toContain("abc");
    expect(quiet[0]).not.toContain("04xyz");
  });
});

describe("production mode", () => {
  const prod = {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
  };

  it("disables introspection over HTTP and graphql-ws, GraphiQL and field suggestions", async () => {
    t = await startTestServer({ env: prod });
    const intro = await t.gql("{ __schema { queryType { name } } }", {}, "service");
    expect(intro.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(intro.errors?.[0]?.message).toMatch(/introspection/i);
    const ws = subscribe(await t.ws("service"), "{ __schema { queryType { name } } }");
    const { error } = await ws.done;
    expect(JSON.stringify(error)).toMatch(/introspection/i);
    const typo = await t.gql("{ viewr { userId } }", {}, "service");
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const page = await fetch(t.url, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  });

  it("keeps introspection and GraphiQL in development", async () => {
    t = await startTestServer();
    expect((await t.gql("{ __schema { queryType { name } } }", {}, "service")).errors).toBeUndefined();
    const page = await fetch(t.url, { headers: { accept: "text/html" } });
    expect(await page.text()).toMatch(/graphiql/i);
  });
});

describe("unexpected errors", () => {
  it("are masked as INTERNAL_SERVER_ERROR with a generic message, and logged by name with the request id", async () => {
    const { createMemoryBackends } = await import("../../src/server/memory-backends.js");
    const memory = createMemoryBackends();
    const store = memory.store;
    const lines: string[] = [];
    t = await startTestServer({
      logger: createLogger({ level: "info", write: (l) => lines.push(l) }),
      backends: {
        ...memory,
        store: {
          ...store,
          getRoom: async () => {
            throw new TypeError("secret internals: S3RVERsecret at /srv/app");
          },
        },
      },
    });
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "APIkeyAPIkeyAPIkey-game-server-1", "x-request-id": "req-boom" },
      body: JSON.stringify({ query: '{ room(roomId: "r") { version } }' }),
    });
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]).toMatchObject({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(JSON.stringify(body)).not.toContain("secret internals");
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["msg"] === "unexpected error");
    expect(logged).toMatchObject({ requestId: "req-boom", error: "TypeError" });
    expect(lines.join("\n")).not.toContain("secret internals");
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
  });
});
