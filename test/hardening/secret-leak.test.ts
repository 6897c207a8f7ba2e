import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { decodeToken04 } from "../../src/index.js";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { startTestServer, subscribe, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { ADD_MEMBERS, GRANT, ISSUE, REMOVE_MEMBERS, RENEWED, SET_ACCESS, SET_PUBLISHERS, type RenewedResult } from "../service/ops.js";

const logLines: string[] = [];
const bodies: string[] = [];
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ env: { ALLOW_BASIC_TOKENS: "true" }, logger: createLogger({ level: "debug", write: (line) => logLines.push(line) }) });
});
afterAll(async () => {
  await t.stop();
});

async function post(body: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  bodies.push(text);
  return text;
}

const call = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => post(JSON.stringify({ query, variables }), headers);

describe("secrets and token plaintext never leave the service", () => {
  it("through the whole story and every error path: no secret in any response or log line, no token plaintext anywhere", async () => {
    const alice = { authorization: `Bearer ${await t.jwt("alice")}` };
    const bob = { authorization: `Bearer ${await t.jwt("bob")}` };
    const service = { "x-api-key": TEST_SECRETS.apiKey };

    const wsMessages: string[] = [];
    const client = await t.ws("alice", { on: { message: (m) => void wsMessages.push(JSON.stringify(m)) } });
    const sub = subscribe<RenewedResult>(client, RENEWED, { roomId: "leak" });
    await sub.next();

    // The happy path.
    await call(ISSUE, { roomId: "leak" }, alice);
    await call(ISSUE, {}, bob);
    await call(GRANT, { roomId: "leak", userId: "alice", streamIds: ["leak_a"] }, service);
    await sub.next();
    await call(SET_PUBLISHERS, { roomId: "leak", publishers: [{ userId: "bob" }] }, service);
    await sub.next();
    await call("query($t: String!) { inspectToken(token: $t, expect: { userId: \"bob\" }) { valid code userId } }", { t: JSON.parse(bodies[0]!).data.issueToken.token }, service);

    // Error paths.
    await call(ISSUE, { roomId: "leak" }, { authorization: `Bearer ${TEST_SECRETS.jwtSecret}` });
    await call(ISSUE, { roomId: "leak" }, { authorization: `Bearer ${await signUserJwt({ secret: "x".repeat(40), userId: "alice", ttlSeconds: 60, nowMs: Date.now() })}` });
    await call(ISSUE, { roomId: "leak" }, { authorization: `Bearer ${await t.jwt("alice", -60)}` });
    await call(GRANT, { roomId: "leak", userId: "alice" }, { "x-api-key": `${TEST_SECRETS.apiKey}x` });
    await call(GRANT, { roomId: "leak", userId: "alice" }, alice);
    await call(ISSUE, { roomId: "leak" }, service);
    await call(SET_PUBLISHERS, { roomId: "leak", publishers: [{ userId: "bad user" }] }, service);
    await call(ISSUE, { roomId: "bad room!?", ttl: 5 }, alice);
    await call(ADD_MEMBERS, { roomId: "leak-m", userIds: ["bob"] }, service);
    await call(SET_ACCESS, { roomId: "leak-m", access: "MEMBERS_ONLY" }, service);
    await call(ISSUE, { roomId: "leak-m" }, alice);
    await call(REMOVE_MEMBERS, { roomId: "leak-m", userIds: ["bob"] }, service);
    await call("query($t: String!) { inspectToken(token: $t) { valid code } }", { t: `04${TEST_SECRETS.serverSecret}` }, service);
    await post(`{"query": "{ viewer { userId } }", "apiKey": "${TEST_SECRETS.apiKey}", "secret": "${TEST_SECRETS.serverSecret}"`, service);
    await post(JSON.stringify({ query: `{ viewer(secret: "${TEST_SECRETS.serverSecret}") { userId } }` }), service);
    const badWs = await t.ws(undefined, { connectionParams: { authorization: `Bearer ${TEST_SECRETS.jwtSecret}`, apiKey: "nope-nope-nope-nope" }, on: { message: (m) => void wsMessages.push(JSON.stringify(m)) } });
    await subscribe(badWs, RENEWED, { roomId: "leak" }).done;
    sub.dispose();
    await new Promise((r) => setTimeout(r, 100));

    const everything = [...logLines, ...bodies, ...wsMessages];
    expect(logLines.length).toBeGreaterThan(20);
    for (const text of everything) {
      expect(text).not.toContain(TEST_SECRETS.serverSecret);
      expect(text).not.toContain(TEST_SECRETS.jwtSecret);
      expect(text).not.toContain(TEST_SECRETS.apiKey);
    }

    // Every token handed out: its plaintext appears nowhere, and the token itself is never logged.
    const tokens = new Set<string>();
    for (const text of [...bodies, ...wsMessages]) for (const m of text.matchAll(/"token":"(04[A-Za-z0-9+/=]+)"/g)) tokens.add(m[1]!);
    expect(tokens.size).toBeGreaterThanOrEqual(5);
    for (const token of tokens) {
      const { plaintext, nonce } = decodeToken04(token, { secret: TEST_SECRETS.serverSecret });
      for (const text of everything) {
        expect(text).not.toContain(JSON.stringify(plaintext));
        expect(text).not.toContain(`"nonce":${nonce}`);
      }
      for (const line of logLines) expect(line).not.toContain(token.slice(2, 40));
    }
    // JWTs are not logged either.
    for (const line of logLines) expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    // And every request line carries a request id.
    const requests = logLines.map((l) => JSON.parse(l) as { msg: string; requestId?: string }).filter((l) => l.msg === "request");
    expect(requests.length).toBeGreaterThan(15);
    expect(requests.every((l) => typeof l.requestId === "string" && l.requestId.length > 0)).toBe(true);
  });
});
