// A push lost with its instance: a subscriber behind a proxy that drops what the instance sends, a
// change the instance mints and records but the client never receives, then the instance is SIGKILLed
// and the client reconnects to another instance. Shared by the single-Redis and Redis Cluster suites.
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTokenClient, zegoWebEngine, type TokenUpdate } from "../../packages/client/src/index.js";
import { recordingWebSdk } from "../client/recording-engine.js";
import { runTs, type Child } from "../helpers/process.js";
import { eventually, startTestServer, TEST_ENV, type TestServer } from "../helpers/server.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { RENEWED, SET_PUBLISHERS, type RenewedResult } from "../service/ops.js";

type Renewal = NonNullable<RenewedResult["data"]>["tokenRenewed"];

/** One subscriber through the proxy: what it received, and the token it holds. */
interface Subscriber {
  readonly pushes: Renewal[];
  readonly errors: unknown[];
  held(): string | undefined;
  dispose(): Promise<void>;
}

/** The instance that will die: a real process, so SIGKILL is a real death. */
interface DoomedInstance {
  readonly child: Child;
  readonly port: number;
}

/** Starts `src/cli/start.ts` on a free port with the test credentials and `env` (the Redis settings). */
async function startDoomedInstance(env: Record<string, string>): Promise<DoomedInstance> {
  const child = runTs("src/cli/start.ts", { ...TEST_ENV, LOG_LEVEL: "info", ...env });
  try {
    const url = (await child.waitFor(/"url":"([^"]+)"[^\n]*"msg":"listening"/, 30_000, "stderr"))[1]!;
    return { child, port: Number(new URL(url).port) };
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
}

/** Live subscriptions on the doomed instance, read from its metrics (not through the proxy). */
async function activeSubscriptions(doomed: DoomedInstance): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${doomed.port}/metrics`)).text();
  return Number(/^zts_active_subscriptions (\d+)/m.exec(text)?.[1] ?? -1);
}

/** Variables that show the held token on every (re)subscription when `show` (clients serialise them per attempt). */
function variables(roomId: string, show: boolean, held: () => string | undefined): Record<string, unknown> {
  if (!show) return { roomId };
  return {
    roomId,
    get heldToken() {
      return held();
    },
  };
}

function record(pushes: Renewal[], errors: unknown[]) {
  return {
    next: (r: unknown) => {
      const result = r as RenewedResult;
      if (result.errors !== undefined) errors.push(result.errors);
      else pushes.push(result.data!.tokenRenewed);
    },
    error: (e: unknown) => void errors.push(e),
    complete: () => undefined,
  };
}

async function wsSubscriber(proxy: TcpProxy, jwt: string, roomId: string, show: boolean): Promise<Subscriber> {
  const pushes: Renewal[] = [];
  const errors: unknown[] = [];
  const held = () => pushes.at(-1)?.token.token;
  const client = createWsClient({
    url: proxy.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${jwt}` },
    retryAttempts: 50,
    retryWait: () => new Promise((r) => setTimeout(r, 100)),
    shouldRetry: () => true,
  });
  client.subscribe({ query: RENEWED, variables: variables(roomId, show, held) }, record(pushes, errors));
  return { pushes, errors, held, dispose: () => client.dispose() as Promise<void> };
}

async function sseSubscriber(proxy: TcpProxy, jwt: string, roomId: string, show: boolean): Promise<Subscriber> {
  const pushes: Renewal[] = [];
  const errors: unknown[] = [];
  const held = () => pushes.at(-1)?.token.token;
  const client = createSseClient({
    url: proxy.url,
    headers: { authorization: `Bearer ${jwt}` },
    retryAttempts: 50,
    retry: () => new Promise((r) => setTimeout(r, 100)),
  });
  client.subscribe({ query: RENEWED, variables: variables(roomId, show, held) }, record(pushes, errors));
  return { pushes, errors, held, dispose: async () => client.dispose() };
}

/** Everything a scenario needs: the surviving instance (in this process) and how to start the doomed one. */
interface LostPushTarget {
  readonly survivor: () => TestServer;
  readonly env: () => Record<string, string>;
}

type Cleanup = (fn: () => Promise<void>) => void;

/** A Redis deployment the suite starts once: its instance environment, and how to stop it. */
export interface LostPushBackend {
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
  /** Kills the primary serving the room; resolves when it is killed, with a wait for the promotion. */
  killPrimaryOf?(roomId: string): Promise<{ promoted(): Promise<void> }>;
}

/** The lost-push suite on one Redis deployment: graphql-ws, SSE and the client helper. */
export function describeLostPush(title: string, backend: LostPushBackend): void {
  let env: Record<string, string> = {};
  let survivor: TestServer | undefined;
  const target: LostPushTarget = { survivor: () => survivor!, env: () => env };
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup: Cleanup = (fn) => void cleanups.push(fn);
  describe(title, () => {
    beforeAll(async () => {
      env = await backend.start();
      survivor = await startTestServer({ env, instanceName: "lost-survivor" });
    });
    afterEach(async () => {
      for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
    });
    afterAll(async () => {
      await survivor?.stop();
      await backend.stop();
    });

    it("graphql-ws: a client showing nothing gets INITIAL, one showing its stale token RESYNC, one whose token is right nothing", async () => {
      await rawScenario(target, "ws", "lost-ws", cleanup);
    }, 60_000);

    it("SSE: the same", async () => {
      await rawScenario(target, "sse", "lost-sse", cleanup);
    }, 60_000);

    it("the client helper holds the revoking token within seconds, without waiting for a renewal", async () => {
      await clientScenario(target, "lost-client", cleanup);
    }, 60_000);

    const killPrimaryOf = backend.killPrimaryOf;
    if (killPrimaryOf !== undefined) {
      it("the same with the room's Redis primary killed together with the instance: after the promotion the client holds the current token", async () => {
        await clientScenario(target, "lost-failover", cleanup, async () => {
          const killed = await killPrimaryOf("lost-failover");
          return () => killed.promoted();
        });
      }, 60_000);
    }
  });
}

/**
 * Drops the instance's pushes at the proxy, makes a change that takes publishing away from alice and
 * bob (carol keeps it), waits until the doomed instance has minted and recorded both tokens and sent
 * bytes that were lost, then SIGKILLs it with the proxy already pointing at the survivor.
 */
async function loseAPushThenKill(
  target: LostPushTarget,
  doomed: DoomedInstance,
  proxy: TcpProxy,
  roomId: string,
  losers: readonly string[],
  alsoKill?: () => Promise<() => Promise<void>>,
): Promise<void> {
  const survivor = target.survivor();
  proxy.dropFromServer();
  const before = proxy.dropped();
  const change = await survivor.gql(SET_PUBLISHERS, { roomId, publishers: [{ userId: "carol" }] }, "service");
  expect(change.errors).toBeUndefined();
  const store = survivor.server.backends.store;
  await eventually(async () => {
    const records = await Promise.all(losers.map((user) => store.getIssued(user, roomId)));
    return records.every((r) => r?.canPublish === false) && proxy.dropped() > before;
  }, 10_000, "the doomed instance minting, recording and sending the revoking tokens");
  // Let the rest of what it sent reach the proxy and be lost too.
  await new Promise((r) => setTimeout(r, 200));
  proxy.retarget(survivor.server.port);
  proxy.forwardFromServer();
  const promoted = await alsoKill?.();
  doomed.child.kill("SIGKILL");
  await doomed.child.exited;
  await promoted?.();
}

/**
 * Three subscribers behind the proxy on the doomed instance: alice sends nothing on reconnect, bob and
 * carol show the token they hold. After the lost push and the kill, alice gets the current token at once
 * (INITIAL), bob at once (RESYNC), and carol, whose token is still right, nothing.
 */
async function rawScenario(target: LostPushTarget, transport: "ws" | "sse", roomId: string, cleanup: Cleanup): Promise<void> {
  const survivor = target.survivor();
  const publishers = [{ userId: "alice" }, { userId: "bob" }, { userId: "carol" }];
  expect((await survivor.gql(SET_PUBLISHERS, { roomId, publishers }, "service")).errors).toBeUndefined();
  const doomed = await startDoomedInstance(target.env());
  cleanup(async () => doomed.child.kill("SIGKILL"));
  const proxy = await startTcpProxy(doomed.port);
  cleanup(() => proxy.stop());
  const open = transport === "ws" ? wsSubscriber : sseSubscriber;
  const [alice, bob, carol] = await Promise.all([
    open(proxy, await survivor.jwt("alice"), roomId, false),
    open(proxy, await survivor.jwt("bob"), roomId, true),
    open(proxy, await survivor.jwt("carol"), roomId, true),
  ]);
  for (const s of [alice, bob, carol]) cleanup(() => s.dispose());
  await eventually(() => [alice, bob, carol].every((s) => s.pushes.length === 1), 10_000, "the first tokens");
  for (const s of [alice, bob, carol]) expect(s.pushes[0]).toMatchObject({ reason: "INITIAL", token: { canPublish: true } });

  await loseAPushThenKill(target, doomed, proxy, roomId, ["alice", "bob"]);

  await eventually(() => alice.pushes.length === 2 && bob.pushes.length === 2, 10_000, "the current tokens after the reconnect");
  expect(alice.pushes[1]).toMatchObject({ reason: "INITIAL", token: { canPublish: false } });
  expect(bob.pushes[1]).toMatchObject({ reason: "RESYNC", token: { canPublish: false } });
  // carol reconnected too (the proxy reset every connection) and showed a token that is still right.
  await new Promise((r) => setTimeout(r, 500));
  expect(carol.pushes.length).toBe(1);
  expect(proxy.connections()).toBeGreaterThanOrEqual(3);
  for (const s of [alice, bob, carol]) expect(s.errors).toEqual([]);
  // The renewal is scheduled from the token the client holds: well ahead, and after the reconnect.
  const renewAt = Date.parse(bob.pushes[1]!.token.renewAt);
  expect(renewAt).toBeGreaterThan(Date.now());
  expect(Date.parse(bob.pushes[1]!.token.expiresAt) - renewAt).toBeGreaterThan(30_000);
}

/**
 * The client helper behind the proxy: it shows its token on every reconnect, so after the lost push
 * and the kill it holds the revoking token within seconds (no renewal or fallback timer is due for
 * minutes), applied to the SDK once.
 */
async function clientScenario(target: LostPushTarget, roomId: string, cleanup: Cleanup, alsoKill?: () => Promise<() => Promise<void>>): Promise<void> {
  const survivor = target.survivor();
  expect((await survivor.gql(SET_PUBLISHERS, { roomId, publishers: [{ userId: "alice" }, { userId: "carol" }] }, "service")).errors).toBeUndefined();
  const doomed = await startDoomedInstance(target.env());
  cleanup(async () => doomed.child.kill("SIGKILL"));
  const proxy = await startTcpProxy(doomed.port);
  cleanup(() => proxy.stop());
  const jwt = await survivor.jwt("alice");
  const client = createTokenClient({ url: proxy.url, webSocketImpl: WebSocket, authorization: () => `Bearer ${jwt}`, backoff: { baseMs: 50, maxMs: 200 } });
  cleanup(() => client.close());
  const sdk = recordingWebSdk();
  const updates: TokenUpdate[] = [];
  const room = await client.joinRoom({ roomId, engine: zegoWebEngine(sdk), user: { userID: "alice", userName: "Alice" }, onToken: (u) => updates.push(u) });
  expect(room.token.canPublish).toBe(true);
  // Subscribed, showing the login token: nothing is pushed at once.
  await eventually(async () => (await activeSubscriptions(doomed)) === 1, 10_000, "the renewal subscription");
  await new Promise((r) => setTimeout(r, 200));
  expect(updates.map((u) => u.reason)).toEqual(["ISSUED"]);

  // The change takes alice's right away (carol keeps hers).
  await loseAPushThenKill(target, doomed, proxy, roomId, ["alice"], alsoKill);

  await eventually(() => room.token.canPublish === false, 15_000, "the client holding the revoking token");
  expect(updates.map((u) => u.reason)).toEqual(["ISSUED", "RESYNC"]);
  expect(sdk.calls.filter((c) => c[0] === "renewToken")).toEqual([["renewToken", room.token.token, roomId]]);
  const renewAt = Date.parse(room.token.renewAt);
  expect(Date.parse(room.token.expiresAt) - renewAt).toBeGreaterThan(30_000);
  await room.leave();
}
