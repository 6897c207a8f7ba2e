import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTokenCli } from "../../src/cli/token-cli.js";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS, REVOKE, ROOM, SET_ACCESS, SET_PUBLISHERS } from "../service/ops.js";

const DESIGN_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "RATE_LIMITED", "UNAVAILABLE"]);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { ISSUE_RATE_LIMIT_PER_MINUTE: "100000" } });
});
afterAll(async () => {
  await t.stop();
});

// Mostly hostile, sometimes valid: IDs near ZEGO's rules, unicode, huge, empty.
const anyString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.string({ unit: fc.constantFrom(..."ab1_-~!@#$%^&*()+=`;',.<>/\\ \"\n:?".split("")), minLength: 0, maxLength: 140 }),
  fc.constantFrom("", " ", "a".repeat(65), "r".repeat(129), "s".repeat(257), "\u0000", "../../etc/passwd", "04AAAA"),
);
const anyInt = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 89, 90, 86400, 86401, 2 ** 31 - 1, -(2 ** 31)));
const anyList = fc.oneof(fc.array(anyString, { maxLength: 25 }), fc.constant(null));

const fuzzRoom = "fuzz-target";
type Op = { query: string; variables: Record<string, unknown>; as: string; roomId?: unknown };

const operation: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ roomId: anyString, ttl: anyInt }).map(({ roomId, ttl }) => ({ query: ISSUE, variables: { roomId, ttl }, as: "alice", roomId })),
  fc.record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), userId: anyString, streamIds: anyList }).map((v) => ({ query: GRANT, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), userId: anyString }).map((v) => ({ query: REVOKE, variables: v, as: "service", roomId: v.roomId })),
  fc
    .record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), publishers: fc.array(fc.record({ userId: anyString, streamIds: anyList }), { maxLength: 5 }) })
    .map((v) => ({ query: SET_PUBLISHERS, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), access: fc.oneof(anyString, fc.constantFrom("OPEN", "MEMBERS_ONLY")) }).map((v) => ({ query: SET_ACCESS, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), userIds: fc.array(anyString, { maxLength: 5 }) }).map((v) => ({ query: ADD_MEMBERS, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ roomId: fc.oneof(anyString, fc.constant(fuzzRoom)), userIds: fc.array(anyString, { maxLength: 5 }) }).map((v) => ({ query: REMOVE_MEMBERS, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ roomId: anyString }).map((v) => ({ query: ROOM, variables: v, as: "service", roomId: v.roomId })),
  fc.record({ token: anyString, userId: anyString, roomId: anyString, streamId: anyString }).map(({ token, ...expect }) => ({
    query: "query($t: String!, $e: TokenExpectation) { inspectToken(token: $t, expect: $e) { valid code } }",
    variables: { t: token, e: expect },
    as: "service",
  })),
);

async function roomState(roomId: unknown): Promise<string | undefined> {
  if (typeof roomId !== "string") return undefined;
  const r = await t.gql<{ room: unknown }>(ROOM, { roomId }, "service");
  return r.data === null || r.data === undefined ? undefined : JSON.stringify(r.data.room);
}

describe("fuzzing every operation", () => {
  it("returns only DESIGN's error codes, stores nothing from a rejected call, and keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(operation, async (op) => {
        const before = await roomState(op.roomId);
        const r = await t.gql(op.query, op.variables, op.as);
        for (const e of r.errors ?? []) expect(DESIGN_CODES.has(e.extensions?.code ?? "none"), JSON.stringify(e)).toBe(true);
        if (r.errors !== undefined && op.query !== ROOM) expect(await roomState(op.roomId)).toBe(before);
      }),
      { numRuns: 250 },
    );
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    expect((await t.gql("{ serverTime }")).errors).toBeUndefined();
  });

  it("the CLI answers random arguments with exit 0, 1 or 2 and never throws or prints the secret", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("generate", "decode", "verify", "nope"),
        fc.array(fc.oneof(anyString, fc.constantFrom("--app-id", "--user-id", "--room-id", "--stream-id", "--ttl", "--mode", "--now", "--json", "--publish", "-", "--payload")), { maxLength: 8 }),
        async (command, args) => {
          let out = "";
          const code = await runTokenCli([command, ...args], {
            env: { ZEGO_SERVER_SECRET: TEST_SECRETS.serverSecret },
            stdout: (s) => {
              out += s;
            },
            stderr: (s) => {
              out += s;
            },
            readStdin: async () => "04AAAA",
            readFile: async () => {
              throw new Error("no files");
            },
            now: () => 1_800_000_000,
          });
          expect([0, 1, 2]).toContain(code);
          expect(out).not.toContain(TEST_SECRETS.serverSecret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
