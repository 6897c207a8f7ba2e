import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeToken04 } from "../../src/index.js";
import { startTestServer, subscribe, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

type Caller = "anonymous" | "user" | "service";
const token = encodeToken04({ appId: TEST_APP_ID, userId: "alice", secret: TEST_SECRETS.serverSecret, effectiveTimeInSeconds: 600 });

// Every field of the contract, with the code each caller gets (null: allowed).
const MATRIX: Array<[string, string, Record<string, unknown>, Record<Caller, string | null>]> = [
  ["viewer", "{ viewer { userId kind } }", {}, { anonymous: "UNAUTHENTICATED", user: null, service: null }],
  ["serverTime", "{ serverTime }", {}, { anonymous: null, user: null, service: null }],
  ["room", "{ room(roomId: \"m1\") { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["inspectToken", "query($t: String!) { inspectToken(token: $t) { valid } }", { t: token }, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["issueToken", "mutation { issueToken(roomId: \"m1\") { token } }", {}, { anonymous: "UNAUTHENTICATED", user: null, service: "FORBIDDEN" }],
  ["grantPublish", "mutation { grantPublish(roomId: \"m1\", userId: \"u\") { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["revokePublish", "mutation { revokePublish(roomId: \"m1\", userId: \"u\") { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["setPublishers", "mutation { setPublishers(roomId: \"m1\", publishers: []) { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["setRoomAccess", "mutation { setRoomAccess(roomId: \"m1\", access: OPEN) { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["addRoomMembers", "mutation { addRoomMembers(roomId: \"m1\", userIds: [\"u\"]) { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
  ["removeRoomMembers", "mutation { removeRoomMembers(roomId: \"m1\", userIds: [\"u\"]) { version } }", {}, { anonymous: "UNAUTHENTICATED", user: "FORBIDDEN", service: null }],
];

describe("authorization matrix over HTTP", () => {
  for (const [field, query, variables, expected] of MATRIX) {
    for (const caller of ["anonymous", "user", "service"] as const) {
      it(`${field} as ${caller}: ${expected[caller] ?? "allowed"}`, async () => {
        const r = await t.gql(query, variables, caller === "anonymous" ? undefined : caller === "user" ? "alice" : "service");
        if (expected[caller] === null) {
          expect(r.errors).toBeUndefined();
          expect(r.data).not.toBeNull();
        } else {
          expect(r.errors?.[0]?.extensions?.code).toBe(expected[caller]);
        }
      });
    }
  }
});

describe("authorization of tokenRenewed over graphql-ws", () => {
  it("as a user: allowed, for their own userId only", async () => {
    const sub = subscribe<{ data?: { tokenRenewed: { token: { userId: string } } } }>(await t.ws("alice"), "subscription { tokenRenewed(roomId: \"m2\") { token { userId } } }");
    expect((await sub.next()).data!.tokenRenewed.token.userId).toBe("alice");
    sub.dispose();
  });

  it("as a service: FORBIDDEN", async () => {
    const sub = subscribe<{ errors?: Array<{ extensions?: { code?: string } }> }>(await t.ws("service"), "subscription { tokenRenewed(roomId: \"m2\") { token { userId } } }");
    const first = await Promise.race([sub.next(), sub.done.then((d) => ({ errors: d.error as Array<{ extensions?: { code?: string } }> }))]);
    expect(first.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("anonymous: the socket is closed with 4403 at connection_init", async () => {
    const client = await t.ws(undefined);
    const sub = subscribe(client, "subscription { tokenRenewed { token { userId } } }");
    const { error } = await sub.done;
    expect((error as { code?: number }).code).toBe(4403);
  });

  it("a bad JWT or API key: closed with 4403", async () => {
    for (const params of [{ authorization: "Bearer nope" }, { apiKey: "wrong-key-wrong-key" }, { authorization: 42 }]) {
      const client = await t.ws(undefined, { connectionParams: params });
      const { error } = await subscribe(client, "subscription { tokenRenewed { token { userId } } }").done;
      expect((error as { code?: number }).code).toBe(4403);
    }
  });
});

describe("credentials over HTTP", () => {
  it("rejects a bad JWT, an expired JWT, a wrong API key and a userId claim that breaks ZEGO's rules with UNAUTHENTICATED", async () => {
    const expired = await t.jwt("alice", -10);
    const badUser = await t.jwt("bad user!");
    for (const headers of <Array<Record<string, string>>>[
      { authorization: "Bearer not.a.jwt" },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${badUser}` },
      { authorization: "Basic abc" },
      { "x-api-key": "wrong-key-wrong-key" },
    ]) {
      const res = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: "{ viewer { userId } }" }) });
      const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("a userId argument does not exist on user operations", async () => {
    const r = await t.gql("mutation { issueToken(roomId: \"m1\", userId: \"bob\") { token } }", {}, "alice");
    expect(r.errors?.length).toBeGreaterThan(0);
    expect(r.data ?? null).toBeNull();
  });
});

describe("literal arguments", () => {
  it("reach subscriptions as well as mutations (graphql-jit dropped them once; it is not used)", async () => {
    const sub = subscribe<{ data?: { tokenRenewed: { token: { roomId: string | null; canPublish: boolean } } } }>(
      await t.ws("alice"),
      'subscription { tokenRenewed(roomId: "literal-room") { token { roomId canPublish } } }',
    );
    expect((await sub.next()).data!.tokenRenewed.token).toEqual({ roomId: "literal-room", canPublish: false });
    sub.dispose();
  });
});
