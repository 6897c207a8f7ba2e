import { createClient } from "graphql-sse";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { GRANT, RENEWED, type RenewedResult } from "../service/ops.js";

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  servers = [];
});

describe("SSE across a restart", () => {
  it("a graphql-sse client resumes on the new server and gets its pushes", async () => {
    const first = await startTestServer();
    servers.push(first);
    const port = first.server.port;
    const jwt = await first.jwt("alice");
    const results: RenewedResult[] = [];
    let ended: unknown = "open";
    const client = createClient({
      url: first.url,
      headers: { authorization: `Bearer ${jwt}` },
      // Keep retrying while the service restarts or redeploys; a short wait keeps the test fast.
      retryAttempts: 20,
      retry: async () => new Promise((r) => setTimeout(r, 200)),
    });
    const dispose = client.subscribe<RenewedResult["data"]>(
      { query: RENEWED, variables: { roomId: "sse-restart" } },
      { next: (r) => void results.push(r as RenewedResult), error: (e) => (ended = e), complete: () => (ended = "complete") },
    );
    await expect.poll(() => results.length).toBe(1);
    expect(results[0]!.data!.tokenRenewed.reason).toBe("INITIAL");

    await first.stop();
    servers = [];
    const second = await startTestServer({ env: { PORT: String(port) } });
    servers.push(second);
    // The new instance has no record of the old token: the reconnect brings a fresh one.
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(2);
    expect(results[1]!.data!.tokenRenewed.token.canPublish).toBe(false);
    await second.gql(GRANT, { roomId: "sse-restart", userId: "alice" }, "service");
    await expect.poll(() => results.length, { timeout: 5000 }).toBe(3);
    expect(results[2]!.data!.tokenRenewed).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true } });
    expect(ended).toBe("open");
    dispose();
    client.dispose();
  });
});
