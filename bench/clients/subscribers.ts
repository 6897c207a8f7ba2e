// A load-generator process for the subscription benchmarks: opens SUBSCRIBERS graphql-ws connections,
// one tokenRenewed subscription each, and reports on stdout as JSON lines:
//   {"type":"connected","ms":N}           once every subscriber has its first token
//   {"type":"push","user":U,"at":MS,"reason":R,"canPublish":B}   for every later push (when PUSHES=1)
// ROOM puts subscribers in one room (only the first ROOM_MEMBERS of them when that is set; the rest keep
// the default rooms); LOCAL_ADDRESS binds every socket to that source address, so several processes
// from 127.0.0.2, 127.0.0.3, ... each get their own ephemeral port range and per-address limit.
// It stays connected until stdin closes or SIGTERM.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { readProcessEnv } from "../../src/config/env.js";

const env = readProcessEnv();
const urls = (env["WS_URLS"] ?? "").split(",");
const count = Number(env["SUBSCRIBERS"]);
const offset = Number(env["USER_OFFSET"] ?? "0");
const room = env["ROOM"];
const roomMembers = env["ROOM_MEMBERS"] === undefined ? Number.POSITIVE_INFINITY : Number(env["ROOM_MEMBERS"]);
const roomOf = (i: number) => (room !== undefined && i < roomMembers ? room : `bench-room-${i % 100}`);
const localAddress = env["LOCAL_ADDRESS"];
const reportPushes = env["PUSHES"] === "1";
const secret = env["AUTH_JWT_SECRET"] ?? "";
const batch = 200;

// graphql-ws constructs sockets with (url, protocol) only; this adds the source address.
class BoundWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, localAddress === undefined ? {} : { localAddress });
  }
}

const clients: Client[] = [];
const started = Date.now();
let ready = 0;

function out(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function open(i: number): Promise<void> {
  const user = `u${offset + i}`;
  const jwt = await signUserJwt({ secret, userId: user, ttlSeconds: 7200, nowMs: Date.now() });
  const client = createClient({ url: urls[i % urls.length] as string, webSocketImpl: BoundWebSocket, connectionParams: { authorization: `Bearer ${jwt}` }, retryAttempts: 0, lazy: false });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    let first = true;
    client.subscribe<{ tokenRenewed: { reason: string; token: { canPublish: boolean } } }>(
      { query: "subscription($r: String) { tokenRenewed(roomId: $r) { reason token { canPublish expiresAt } } }", variables: { r: roomOf(i) } },
      {
        next: (result) => {
          const data = result.data?.tokenRenewed;
          if (first) {
            first = false;
            resolve();
          } else if (reportPushes && data !== undefined) {
            out({ type: "push", user, at: Date.now(), reason: data.reason, canPublish: data.token.canPublish });
          }
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => undefined,
      },
    );
  });
  ready++;
}

for (let i = 0; i < count; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(i + j)));
}
out({ type: "connected", ms: Date.now() - started, ready });

const shutdown = () => {
  void Promise.allSettled(clients.map((c) => c.dispose())).then(() => process.exit(0));
};
process.on("SIGTERM", shutdown);
process.stdin.on("end", shutdown);
process.stdin.resume();
