import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPrivilegePayload, encodeToken04 } from "../../src/index.js";
import { startTestServer, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const INSPECT = "query($t: String!, $e: TokenExpectation) { inspectToken(token: $t, expect: $e) { valid code zegoErrorCode mode appId userId roomId canLoginRoom canPublish streamIds expiresAt } }";
type Inspection = { valid: boolean; code: string | null; zegoErrorCode: number | null; userId: string | null; roomId: string | null; canPublish: boolean | null };

describe("inspectToken", () => {
  const token = encodeToken04({
    appId: TEST_APP_ID,
    userId: "alice",
    secret: TEST_SECRETS.serverSecret,
    effectiveTimeInSeconds: 600,
    payload: buildPrivilegePayload({ roomId: "r1", canLoginRoom: true, canPublish: true, streamIds: ["s1"] }),
  });

  it("reports a valid token's fields", async () => {
    const r = await t.gql<{ inspectToken: Inspection }>(INSPECT, { t: token, e: { userId: "alice", roomId: "r1", streamId: "s1" } }, "service");
    expect(r.data!.inspectToken).toMatchObject({ valid: true, code: null, userId: "alice", roomId: "r1", canPublish: true });
  });

  it("returns the code and ZEGO error code instead of throwing, with the fields it could read", async () => {
    const cases: Array<[string, Record<string, unknown>, string, number]> = [
      [token, { roomId: "r2" }, "TOKEN_ROOM_MISMATCH", 1002033],
      [token, { userId: "bob" }, "TOKEN_USER_MISMATCH", 1002077],
      [token, { streamId: "s2" }, "TOKEN_STREAM_DENIED", 1003072],
      ["04AAAA", {}, "TOKEN_MALFORMED", 1002074],
      ["garbage", {}, "TOKEN_UNSUPPORTED_VERSION", 1002079],
    ];
    for (const [tok, expect_, code, zego] of cases) {
      const r = await t.gql<{ inspectToken: Inspection }>(INSPECT, { t: tok, e: expect_ }, "service");
      expect(r.errors).toBeUndefined();
      expect(r.data!.inspectToken).toMatchObject({ valid: false, code, zegoErrorCode: zego });
    }
    const mismatch = await t.gql<{ inspectToken: Inspection }>(INSPECT, { t: token, e: { roomId: "r2" } }, "service");
    expect(mismatch.data!.inspectToken.userId).toBe("alice");
  });

  it("validates the expectation's IDs", async () => {
    const r = await t.gql(INSPECT, { t: token, e: { userId: "bad user" } }, "service");
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
