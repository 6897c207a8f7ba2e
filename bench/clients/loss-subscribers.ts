// A load-generator process for bench/instance-loss.ts: SUBSCRIBERS graphql-ws clients, each with one
// tokenRenewed subscription, each connecting from its own loopback address (127.x.y.z, which the
// benchmark's proxy forwards as X-Forwarded-For) and reconnecting forever with the client helper's
// full-jitter backoff. Reports on stdout as JSON lines:
//   {"type":"connected","ms":N,"ready":N}   once every subscriber has its first token
//   {"type":"progress","recovered":N}        every 200 ms after `watch <killAtMs>` on stdin (tokens are
//                                            kept from the start, so a line arriving late loses nothing)
//   {"type":"report",...}                    after `report` on stdin (see Report below)
import { createInterface } from "node:readline";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { backoffDelay, DEFAULT_BACKOFF } from "../../packages/client/src/timing.js";
import { readProcessEnv } from "../../src/config/env.js";

const env = readProcessEnv();
const url = env["WS_URL"] ?? "";
const count = Number(env["SUBSCRIBERS"]);
const offset = Number(env["USER_OFFSET"] ?? "0");
const secret = env["AUTH_JWT_SECRET"] ?? "";
const batch = 200;

/** What the benchmark needs from one subscriber. */
interface Subscriber {
  /** When the current socket was acknowledged (ms since epoch). */
  connectedAt: number;
  connects: number;
  /** Every token received: when, on a socket acknowledged when, and whether it was still valid. */
  tokens: Array<{ at: number; connectedAt: number; valid: boolean; canPublish: boolean }>;
  errors: number;
}

/** The `report` line. */
export interface LossReport {
  type: "report";
  /** Per recovered subscriber: first token on a post-kill socket minus the kill time (ms). */
  recoveries: number[];
  /** Subscribers with no token on a post-kill socket. */
  missing: number;
  /** Recovered subscribers whose token had already expired when it arrived. */
  invalid: number;
  /** Socket acknowledgements after the first one, over all subscribers. */
  reconnects: number;
  /** Subscription errors seen (each ends that subscription). */
  errors: number;
  /** Socket closes by close code (1006: dropped without a close frame). */
  closes: Record<string, number>;
}

/** Subscriber i's address: distinct per subscriber, as if each were a separate device behind the load balancer. */
function loopbackAddress(i: number): string {
  return `127.${10 + Math.floor(i / 62_500)}.${Math.floor(i / 250) % 250 + 1}.${i % 250 + 1}`;
}

function out(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const subscribers: Subscriber[] = [];
const clients: Client[] = [];
/** Socket closes seen after the kill, by close code. */
const closes: Record<string, number> = {};
let killAt = Number.POSITIVE_INFINITY;
const started = Date.now();

async function open(i: number): Promise<void> {
  const index = offset + i;
  const user = `u${index}`;
  const address = loopbackAddress(index);
  const jwt = await signUserJwt({ secret, userId: user, ttlSeconds: 7200, nowMs: Date.now() });
  const sub: Subscriber = { connectedAt: 0, connects: 0, tokens: [], errors: 0 };
  subscribers.push(sub);
  class BoundWebSocket extends WebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols, { localAddress: address });
    }
  }
  const client = createClient({
    url,
    webSocketImpl: BoundWebSocket,
    lazy: true,
    connectionParams: { authorization: `Bearer ${jwt}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((r) => setTimeout(r, backoffDelay(retries, Math.random, DEFAULT_BACKOFF))),
  });
  client.on("closed", (event) => {
    const code = String((event as { code?: unknown }).code ?? "none");
    closes[code] = (closes[code] ?? 0) + 1;
  });
  client.on("connected", () => {
    sub.connectedAt = Date.now();
    sub.connects++;
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    let first = true;
    let held: string | undefined;
    // Like the client helper, every (re)subscription shows the token held (graphql-ws serialises the
    // variables again per attempt): a subscriber whose token is still current gets nothing on reconnect.
    const variables = {
      r: `loss-room-${index % 100}`,
      get h() {
        return held;
      },
    };
    client.subscribe<{ tokenRenewed: { reason: string; token: { token: string; expiresAt: string; canPublish: boolean } } }>(
      { query: "subscription($r: String, $h: String) { tokenRenewed(roomId: $r, heldToken: $h) { reason token { token expiresAt canPublish } } }", variables },
      {
        next: (result) => {
          const at = Date.now();
          const data = result.data?.tokenRenewed;
          if (first) {
            first = false;
            resolve();
          }
          if (data !== undefined) held = data.token.token;
          if (data !== undefined) sub.tokens.push({ at, connectedAt: sub.connectedAt, valid: Date.parse(data.token.expiresAt) > at, canPublish: data.token.canPublish });
        },
        error: (e) => {
          sub.errors++;
          if (first) reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
        },
        complete: () => undefined,
      },
    );
  });
}

for (let i = 0; i < count; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(i + j)));
}
out({ type: "connected", ms: Date.now() - started, ready: subscribers.length });

let progress: ReturnType<typeof setInterval> | undefined;
/**
 * The first token with the rights granted after the kill on a socket acknowledged after the kill:
 * only B can have sent it. (A reconnecting subscriber showing a token that is still current gets no
 * token: the service only resumes its renewal schedule, so the benchmark changes everyone's rights.)
 */
const recovery = (s: Subscriber) => s.tokens.find((t) => t.connectedAt > killAt && t.canPublish);
const recovered = () => subscribers.reduce((n, s) => n + (recovery(s) === undefined ? 0 : 1), 0);

function report(): LossReport {
  const firsts = subscribers.map(recovery).filter((t) => t !== undefined);
  return {
    type: "report",
    recoveries: firsts.map((t) => t.at - killAt),
    missing: subscribers.length - firsts.length,
    invalid: firsts.filter((t) => !t.valid).length,
    reconnects: subscribers.reduce((n, s) => n + Math.max(0, s.connects - 1), 0),
    errors: subscribers.reduce((n, s) => n + s.errors, 0),
    closes,
  };
}

const shutdown = () => {
  clearInterval(progress);
  void Promise.allSettled(clients.map((c) => c.dispose())).then(() => process.exit(0));
};
process.on("SIGTERM", shutdown);
const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  const [command, arg] = line.trim().split(" ");
  if (command === "watch") {
    killAt = Number(arg);
    progress = setInterval(() => out({ type: "progress", recovered: recovered() }), 200);
  } else if (command === "report") {
    clearInterval(progress);
    out({ ...report() });
  }
});
commands.on("close", shutdown);
