import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { createManualClock } from "../../src/clock/clock.js";
import { createLogger } from "../../src/log/logger.js";
import { LISTEN_BACKLOG } from "../../src/server/create-server.js";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { startTestServer, subscribe, type TestServer } from "../helpers/server.js";
import { RENEWED, type RenewedResult } from "../service/ops.js";

let t: TestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await t?.stop();
  t = undefined;
  vi.restoreAllMocks();
});

const openSocket = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
    sockets.push(s);
  });

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));

describe("connections", () => {
  it.runIf(process.platform === "linux")("listens with a backlog that absorbs a reconnect storm (Node's default is 511)", async () => {
    t = await startTestServer();
    // For a listening socket, ss shows the backlog as Send-Q; the kernel caps it at somaxconn.
    const line = execFileSync("ss", ["-ltnH", `sport = :${t.server.port}`]).toString().trim();
    const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
    expect(Number(line.split(/\s+/)[2])).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
    expect(Math.min(LISTEN_BACKLOG, somaxconn)).toBeGreaterThan(511);
  });

  it("a rate-limited WebSocket handshake closes with 1013, which graphql-ws clients retry", async () => {
    // A manual clock: the address's probe (one verification a second past the limit) is not given out again.
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "1" }, clock: createManualClock(Date.now()) });
    const bad = await signUserJwt({ secret: "b".repeat(40), userId: "mallory", ttlSeconds: 600, nowMs: Date.now() });
    await t.gql("{ viewer { userId } }", {}, undefined);
    // The first failure reaches the limit, the second is the probe.
    for (let i = 0; i < 2; i++) await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bad}` }, body: '{"query":"{ serverTime }"}' });
    const codes: number[] = [];
    let attempts = 0;
    const client = await t.ws(undefined, {
      connectionParams: { authorization: `Bearer ${bad}` },
      retryAttempts: 2,
      retryWait: async () => undefined,
      on: {
        connecting: () => void attempts++,
        closed: (e) => void codes.push((e as { code: number }).code),
      },
    });
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "r" });
    await sub.done;
    expect(codes[0]).toBe(1013);
    expect(attempts).toBe(3);
  });

  it("drops idle connections that send nothing, and /healthz answers through a flood of 2,000 of them", async () => {
    t = await startTestServer({ env: { MAX_CONNECTIONS_PER_IP: "3000" }, connectionLimits: { headersTimeoutMs: 5000, requestTimeoutMs: 6000 } });
    // In batches, so the kernel's accept queue (511) never overflows and every socket reaches the server.
    const idle: Socket[] = [];
    const started = Date.now();
    const open = async () => Number(/^zts_open_connections (\d+)/m.exec(await (await fetch(`${t!.server.url}/metrics`)).text())?.[1]);
    for (let batch = 0; batch < 10; batch++) {
      idle.push(...(await Promise.all(Array.from({ length: 200 }, () => openSocket(t!.server.port)))));
      await expect.poll(open, { timeout: 10_000 }).toBeGreaterThanOrEqual(idle.length);
    }
    const asked = Date.now();
    const health = await fetch(`${t.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(Date.now() - asked).toBeLessThan(2000);
    await Promise.all(idle.map(closed));
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect.poll(open, { timeout: 5000 }).toBeLessThanOrEqual(1);
  }, 60_000);

  it("refuses connections past MAX_CONNECTIONS_PER_IP and accepts again when they close", async () => {
    t = await startTestServer({ env: { MAX_CONNECTIONS_PER_IP: "5" } });
    const held = await Promise.all(Array.from({ length: 5 }, () => openSocket(t!.server.port)));
    const extra = await openSocket(t.server.port);
    await closed(extra);
    for (const s of held) s.destroy();
    await Promise.all(held.map(closed));
    await expect.poll(async () => (await fetch(`${t!.server.url}/healthz`).then((r) => r.status, () => 0)), { timeout: 2000 }).toBe(200);
  });

  it("keeps SSE and WebSocket streams open past the request timeout", async () => {
    t = await startTestServer({ connectionLimits: { headersTimeoutMs: 200, requestTimeoutMs: 300 } });
    const client = await t.ws("alice");
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "long" });
    await sub.next();
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${await t.jwt("bob")}` },
      body: JSON.stringify({ query: RENEWED, variables: { roomId: "long" } }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 1200));
    await t.gql('mutation { setPublishers(roomId: "long", publishers: [{ userId: "alice" }, { userId: "bob" }]) { version } }', {}, "service");
    expect((await sub.next()).data!.tokenRenewed.reason).toBe("PRIVILEGE_CHANGED");
    let text = "";
    while (!text.includes("PRIVILEGE_CHANGED")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"canPublish":true');
    await reader.cancel();
  });

  it("logs an oversized WebSocket message as one JSON line, with no stack trace on stderr", async () => {
    const lines: string[] = [];
    const errors = vi.spyOn(console, "error");
    t = await startTestServer({ logger: createLogger({ level: "info", write: (l) => lines.push(l) }) });
    const ws = new WebSocket(t.wsUrl, "graphql-transport-ws");
    await new Promise((r) => ws.once("open", r));
    const code = await new Promise<number>((resolve) => {
      ws.once("close", (c) => resolve(c));
      ws.send("x".repeat(70 * 1024));
    });
    expect(code).toBe(1009);
    await expect.poll(() => lines.some((l) => l.includes("websocket error"))).toBe(true);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(errors).not.toHaveBeenCalled();
  });
});
