// Baseline for bench/turn-change.ts: the least a graphql-ws server must do to push a token-sized message
// to every subscriber of a room at once. It answers the same subscription document over the same
// protocol, but mints nothing (each user's token is a fixed random string), keeps no room state, records
// nothing, authenticates nobody and keeps no metrics. Any POST to /graphql is a turn change: a non-empty
// `variables.p` gives everyone the mic, an empty one takes it away.
//   BARE_MODE=graphql (default): graphql-ws's useServer with graphql-js executing the selection per push.
//   BARE_MODE=raw: the protocol by hand on `ws`, one JSON.stringify and one send per push.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { buildSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { readProcessEnv } from "../../src/config/env.js";

const env = readProcessEnv();
const raw = env["BARE_MODE"] === "raw";

interface Push {
  reason: string;
  token: { token: string; canPublish: boolean; expiresAt: number };
}
type Listener = (canPublish: boolean) => void;
const listeners = new Set<Listener>();
let canPublish = false;
const tokenOf = () => randomBytes(160).toString("base64");
const pushOf = (reason: string, token: string): Push => ({ reason, token: { token, canPublish, expiresAt: Math.floor(Date.now() / 1000) + 3600 } });

const schema = buildSchema(`
  type RoomToken { token: String! canPublish: Boolean! expiresAt: Int! }
  type TokenRenewal { reason: String! token: RoomToken! }
  type Query { ok: Boolean }
  type Subscription { tokenRenewed(roomId: String): TokenRenewal! }
`);

/** One subscriber's pushes: INITIAL at once, then one per turn change. */
async function* subscriberPushes(): AsyncGenerator<{ tokenRenewed: Push }> {
  const token = tokenOf();
  const queue: boolean[] = [];
  let wake: (() => void) | undefined;
  const listener: Listener = (c) => {
    queue.push(c);
    wake?.();
  };
  listeners.add(listener);
  try {
    yield { tokenRenewed: pushOf("INITIAL", token) };
    for (;;) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      queue.shift();
      yield { tokenRenewed: pushOf("PRIVILEGE_CHANGED", token) };
    }
  } finally {
    listeners.delete(listener);
  }
}

const http = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/healthz") return void res.end("ok");
    let body: { variables?: { p?: unknown[] } } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
    } catch {
      // not a turn
    }
    canPublish = (body.variables?.p?.length ?? 0) > 0;
    for (const l of listeners) l(canPublish);
    res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"setPublishers":{"version":1}}}');
  });
});

const wss = new WebSocketServer({ server: http, path: "/graphql" });
if (raw) {
  wss.on("connection", (socket: WebSocket) => {
    const token = tokenOf();
    socket.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { type: string; id?: string };
      if (msg.type === "connection_init") socket.send('{"type":"connection_ack"}');
      else if (msg.type === "subscribe" && msg.id !== undefined) {
        const id = msg.id;
        const send = (reason: string) => socket.send(JSON.stringify({ id, type: "next", payload: { data: { tokenRenewed: pushOf(reason, token) } } }));
        send("INITIAL");
        const listener: Listener = () => send("PRIVILEGE_CHANGED");
        listeners.add(listener);
        socket.once("close", () => listeners.delete(listener));
      }
    });
  });
} else {
  useServer({ schema, roots: { subscription: { tokenRenewed: subscriberPushes } } }, wss);
}
http.listen(Number(env["PORT"]), "127.0.0.1", () => process.stdout.write("READY\n"));
process.on("SIGTERM", () => {
  for (const c of wss.clients) c.terminate();
  http.close(() => process.exit(0));
});
