import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

// The JSON fast path (Accept: application/json) and Yoga's own handling (other Accept values) must agree.
async function both(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const send = (accept: string) =>
    fetch(t.url, { method: "POST", headers: { "content-type": "application/json", accept, ...headers }, body: JSON.stringify({ query, variables }) }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> },
    }));
  return { fast: await send("application/json"), yoga: await send("application/graphql-response+json, application/json;q=0.9") };
}

describe("the JSON fast path and Yoga agree", () => {
  const service = { "x-api-key": TEST_SECRETS.apiKey };

  it("on data", async () => {
    const { fast, yoga } = await both("mutation($r: String!) { setRoomAccess(roomId: $r, access: OPEN) { roomId access } }", { r: "paths" }, service);
    expect(fast.status).toBe(200);
    expect(fast.body).toEqual(yoga.body);
  });

  it("on error codes and messages (validation, input, authorization, authentication)", async () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, string>, string]> = [
      ["{ viewr }", {}, service, "BAD_USER_INPUT"],
      ["mutation($r: String!) { revokePublish(roomId: $r, userId: \"a b\") { version } }", { r: "paths" }, service, "BAD_USER_INPUT"],
      ["{ room(roomId: \"paths\") { version } }", {}, {}, "UNAUTHENTICATED"],
      ["{ viewer { userId } }", {}, { authorization: "Bearer nope" }, "UNAUTHENTICATED"],
    ];
    for (const [query, variables, headers, code] of cases) {
      const { fast, yoga } = await both(query, variables, headers);
      expect(fast.body.errors?.[0]?.extensions?.code).toBe(code);
      expect(yoga.body.errors?.[0]?.extensions?.code).toBe(code);
      expect(fast.body.errors?.[0]?.message).toBe(yoga.body.errors?.[0]?.message);
    }
  });

  it("refuses a subscription over plain POST, and serves it over SSE", async () => {
    const { fast } = await both("subscription { tokenRenewed { reason } }", {}, service);
    expect(fast.status).toBe(400);
    expect(fast.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
