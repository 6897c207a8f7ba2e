// A load-generator process for the subscription benchmarks: opens SUBSCRIBERS graphql-ws connections,
// one tokenRenewed subscription each, and reports on stdout as JSON lines:
//   {"type":"connected","ms":N}           once every subscriber has its first token
//   {"type":"push","user":U,"at":MS,"reason":R,"canPublish":B}   for every later push (when PUSHES=1)
//   {"type":"turn","canPublish":B,"count":N,"last":MS}   when PUSHES=turns, once all N room members got a
//                                      push with that right since the previous such line (a turn change)
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
const reportTurns = env["PUSHES"] === "turns";
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

// Push lines are written in batches (one write per turn of the event loop): a write per push would cost
// the client more than receiving it and delay the timestamps of the pushes behind it.
let queued = "";
function out(line: Record<string, unknown>): void {
  if (queued === "") setImmediate(flush);
  queued += `${JSON.stringify(line)}\n`;
}
function flush(): void {
  const text = queued;
  queued = "";
  process.stdout.write(text);
}

// Turn mode: count pushes per right and report once per complete turn, so that reporting costs nothing
// while pushes arrive (the timestamps are what the benchmark measures).
const turn = { canPublish: true, count: 0, last: 0 };
function turnPush(canPublish: boolean): void {
  const at = Date.now();
  if (canPublish !== turn.canPublish) Object.assign(turn, { canPublish, count: 0, last: 0 });
  turn.count++;
  turn.last = at;
  const members = Math.min(count, roomMembers);
  if (turn.count === members) out({ type: "turn", canPublish, count: members, last: at });
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
          } else if (reportTurns && data !== undefined) {
            turnPush(data.token.canPublish);
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
