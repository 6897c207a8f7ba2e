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

  it("answers a subscription over plain POST as Yoga does: 406 under JSON only (a stream is no JSON), a stream under SSE", async () => {
    const post = async (accept: string) => {
      const res = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept, authorization: `Bearer ${await t.jwt("paths-user")}` },
        body: JSON.stringify({ query: 'subscription { tokenRenewed(roomId: "paths") { reason } }' }),
      });
      await res.body?.cancel();
      return { status: res.status, type: res.headers.get("content-type") };
    };
    expect(await post("application/json")).toMatchObject({ status: 406 });
    expect(await post("application/graphql-response+json, application/json, text/event-stream")).toEqual({ status: 200, type: "text/event-stream" });
  });
});
