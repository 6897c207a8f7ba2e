import { afterAll, beforeAll } from "vitest";
import { startFakeZego, type FakeZego, type FakeZegoOptions } from "./fake-zego.js";
import { startTestServer, TEST_APP_ID, TEST_SECRETS, type TestServer } from "./server.js";

/** A server enforcing against a fresh fake ZEGO (and its callback endpoint when `callbackSecret` is given). */
export interface Enforcing {
  readonly fake: FakeZego;
  readonly t: TestServer;
  stop(): Promise<void>;
}

/** Starts a fake ZEGO and a server with ZEGO_ENFORCE=on pointed at it. */
export async function startEnforcing(
  options: { callbackSecret?: string; fake?: Partial<FakeZegoOptions>; server?: Omit<NonNullable<Parameters<typeof startTestServer>[0]>, "env">; env?: Record<string, string> } = {},
): Promise<Enforcing> {
  const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret, ...options.fake });
  const env = { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url, ...(options.callbackSecret === undefined ? {} : { ZEGO_CALLBACK_SECRET: options.callbackSecret }), ...options.env };
  const t = await startTestServer({ ...options.server, env });
  return {
    fake,
    t,
    async stop() {
      await t.stop();
      await fake.stop();
    },
  };
}

/** Starts {@link startEnforcing} before the suite and stops it after; read `fake` and `t` inside tests. */
export function useEnforcing(options: Parameters<typeof startEnforcing>[0] = {}): { readonly fake: FakeZego; readonly t: TestServer } {
  let e: Enforcing | undefined;
  beforeAll(async () => {
    e = await startEnforcing(options);
  });
  afterAll(async () => {
    await e?.stop();
  });
  const started = () => {
    if (e === undefined) throw new Error("the enforcing server is not started yet");
    return e;
  };
  return {
    get fake() {
      return started().fake;
    },
    get t() {
      return started().t;
    },
  };
}
