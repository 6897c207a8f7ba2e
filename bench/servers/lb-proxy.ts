// The load balancer stand-in for bench/instance-loss.ts, in a process of its own (each proxied
// connection holds two descriptors, and the hard limit here may be too low for one process to carry
// every subscriber). A TCP proxy that adds X-Forwarded-For (the peer's address) to the first request
// on each connection and sends it to the first backend in BACKEND_PORTS that accepts it; a refused
// connect marks that backend down for good (a passive health check). JSON lines on stdout:
//   {"type":"listening","port":N}
//   {"type":"stats","backends":[{"port":N,"routed":N,"refused":N}]}   after `stats` on stdin
import { createInterface } from "node:readline";
import { connect, createServer, type Socket } from "node:net";
import { readProcessEnv } from "../../src/config/env.js";

const env = readProcessEnv();

interface Backend {
  readonly port: number;
  down: boolean;
  routed: number;
  refused: number;
}

const backends: Backend[] = (env["BACKEND_PORTS"] ?? "").split(",").map((p) => ({ port: Number(p), down: false, routed: 0, refused: 0 }));
const MAX_HEAD_BYTES = 16_384;

function route(client: Socket, head: Buffer): void {
  const backend = backends.find((b) => !b.down);
  if (backend === undefined) {
    client.destroy();
    return;
  }
  const upstream = connect(backend.port, "127.0.0.1");
  upstream.setNoDelay(true);
  upstream.on("error", () => undefined);
  client.once("close", () => upstream.destroy());
  let connected = false;
  upstream.once("connect", () => {
    connected = true;
    backend.routed++;
    upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  upstream.once("close", () => {
    if (connected) {
      client.destroy();
      return;
    }
    backend.refused++;
    backend.down = true;
    if (!client.destroyed) route(client, head);
  });
}

const server = createServer((client) => {
  client.setNoDelay(true);
  client.on("error", () => undefined);
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    if (head.indexOf("\r\n\r\n") < 0) {
      if (head.length > MAX_HEAD_BYTES) client.destroy();
      return;
    }
    client.off("data", onData);
    client.pause();
    const line = head.indexOf("\r\n") + 2;
    const forwarded = Buffer.from(`X-Forwarded-For: ${(client.remoteAddress ?? "").replace(/^::ffff:/, "")}\r\n`);
    route(client, Buffer.concat([head.subarray(0, line), forwarded, head.subarray(line)]));
  };
  client.on("data", onData);
});

// A real balancer accepts as fast as SYNs come; Node's default backlog (511) would drop them here.
server.listen({ port: 0, host: "127.0.0.1", backlog: 65_535 }, () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ type: "listening", port: typeof address === "object" && address !== null ? address.port : 0 })}\n`);
});

const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  if (line.trim() === "stats") process.stdout.write(`${JSON.stringify({ type: "stats", backends })}\n`);
});
commands.on("close", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
