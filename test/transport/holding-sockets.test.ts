import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DEFAULT_BACKLOG_LIMITS } from "../../src/server/socket-backlog.js";
import { WS_LIMITS } from "../../src/server/ws-server.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// Sockets that would hold the server: connections that read none of their answers, WebSockets that
// never initialise, WebSocket upgrades from foreign browser origins.
let t: TestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const s of sockets.splice(0)) s.destroy();
});

/** A client that sends `requests` pipelined on one connection and never reads a byte of the answers. */
function neverReads(port: number, requests: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.pause();
      s.write(requests);
      resolve(s);
    });
    s.once("error", () => undefined);
    s.once("error", reject);
    sockets.push(s);
  });
}

/** Connections the server holds open (a non-reading client cannot see its own connection close). */
const open = async () => Number(/^zts_open_connections (\d+)/m.exec(await (await fetch(`${t!.server.url}/metrics`)).text())?.[1]);

// A request whose answer (a validation error naming the field) is as large as itself, 60 KB.
const BODY = JSON.stringify({ query: `{ ${"x".repeat(60_000)} }` });
// GraphiQL (development) is a page of several MiB: one answer overfills the kernel's buffers of a client
// that reads nothing, and the rest of it waits in the server's memory.
const PAGE = "GET /graphql HTTP/1.1\r\nhost: x\r\naccept: text/html\r\n\r\n";
const LARGE = `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

describe("connections that read none of their answers", () => {
  it("ten connections pipelining requests and reading none of the answers are closed once their output stays backed up", async () => {
    t = await startTestServer({ connectionLimits: { outputStallTimeoutMs: 500 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => neverReads(t!.server.port, LARGE.repeat(100))));
    expect(await open()).toBe(11);
    // Only the metrics scrape's own connection is left.
    await expect.poll(open, { timeout: 15_000, interval: 100 }).toBeLessThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
  });

  it("pipelining cannot queue without limit: more unanswered requests than the cap on one connection close it", async () => {
    // A long stall timeout: only the pipelining cap can close them here.
    t = await startTestServer({ connectionLimits: { maxPipelinedRequests: 4, outputStallTimeoutMs: 600_000 } });
    // Small requests, sent for as long as the connection takes them (Node keeps reading those).
    const small = JSON.stringify({ query: "{ serverTime }" });
    const batch = `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${small.length}\r\n\r\n${small}`.repeat(200);
    const clients = await Promise.all(Array.from({ length: 10 }, () => neverReads(t!.server.port, batch)));
    for (const c of clients) {
      const pump = () => {
        while (!c.destroyed && c.write(batch));
      };
      c.on("drain", pump);
      pump();
    }
    await expect.poll(open, { timeout: 15_000, interval: 100 }).toBeLessThanOrEqual(1);
  });

  it("a connection whose output stays backed up is closed after the stall timeout, even with one request", async () => {
    t = await startTestServer({ connectionLimits: { outputStallTimeoutMs: 500 } });
    await neverReads(t.server.port, PAGE);
    expect(await open()).toBe(2);
    await expect.poll(open, { timeout: 8_000, interval: 100 }).toBeLessThanOrEqual(1);
  });

  it("a client that reads its answers is not cut: 12 pipelined requests, all answered", async () => {
    t = await startTestServer({ connectionLimits: { maxPipelinedRequests: DEFAULT_BACKLOG_LIMITS.maxPipelinedRequests, outputStallTimeoutMs: 500 } });
    const s = connect(t.server.port, "127.0.0.1");
    sockets.push(s);
    let text = "";
    s.on("data", (d: Buffer) => {
      text += d.toString();
    });
    s.write("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n".repeat(12));
    await expect.poll(() => text.split("HTTP/1.1 200 OK").length - 1, { timeout: 5000 }).toBe(12);
    expect(s.destroyed).toBe(false);
  });
});

/** Upgrades a raw TCP connection to graphql-transport-ws and then sends nothing, not even a close frame. */
function silentUpgrade(port: number): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        [
          "GET /graphql HTTP/1.1",
          "host: x",
          "upgrade: websocket",
          "connection: Upgrade",
          `sec-websocket-key: ${randomBytes(16).toString("base64")}`,
          "sec-websocket-version: 13",
          "sec-websocket-protocol: graphql-transport-ws",
          "",
          "",
        ].join("\r\n"),
      );
      resolve({ socket, received: () => Buffer.concat(chunks), closed });
    });
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.once("error", reject);
    const closed = new Promise<number>((done) => socket.once("close", () => done(Date.now() - started)));
    sockets.push(socket);
  });
}

/** The status of an upgrade attempt: 101 when it opened, else the HTTP status it was refused with. */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "graphql-transport-ws", origin === undefined ? {} : { origin });
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("error", (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

describe("the WebSocket edge", () => {
  it("a WebSocket that never sends connection_init gets 4408 and loses its TCP connection within 5 s, close handshake or not", async () => {
    t = await startTestServer();
    const { received, closed } = await silentUpgrade(t.server.port);
    const ms = await closed;
    expect(ms).toBeLessThan(5000);
    expect(ms).toBeGreaterThanOrEqual(WS_LIMITS.connectionInitTimeoutMs);
    // The close frame (opcode 8) carries 4408.
    const text = received();
    const frame = text.subarray(text.indexOf("\r\n\r\n") + 4);
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(4408);
  });

  it("with CORS_ORIGINS set, an upgrade from a browser origin outside it is refused (403); no Origin and listed origins open", async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: "https://game.example" } });
    expect(await upgradeStatus(t.wsUrl, "https://evil.example")).toBe(403);
    expect(await upgradeStatus(t.wsUrl, "https://game.example")).toBe(101);
    expect(await upgradeStatus(t.wsUrl, undefined)).toBe(101);
    // A refused browser is not half-open: a listed origin still subscribes.
    const client = await t.ws("alice", { webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { origin: "https://game.example" });
      }
    } });
    const seen = await new Promise<unknown>((resolve, reject) => client.subscribe({ query: "{ viewer { userId } }" }, { next: resolve, error: reject, complete: () => undefined }));
    expect(seen).toEqual({ data: { viewer: { userId: "alice" } } });
  });

  it("development (any origin) and production without CORS_ORIGINS: every origin may open in development, none in production", async () => {
    t = await startTestServer();
    expect(await upgradeStatus(t.wsUrl, "https://anywhere.example")).toBe(101);
    await t.stop();
    t = await startTestServer({ env: { NODE_ENV: "production" } });
    expect(await upgradeStatus(t.wsUrl, "https://anywhere.example")).toBe(403);
    expect(await upgradeStatus(t.wsUrl, undefined)).toBe(101);
  });
});
