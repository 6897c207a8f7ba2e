import { afterEach, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { createManualClock } from "../../src/clock/clock.js";
import { createLogger } from "../../src/log/logger.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { postZegoCallback, streamEvent } from "../helpers/zego-callback.js";
import { ISSUE } from "../service/ops.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

interface Line {
  level: string;
  msg: string;
  requestId?: string;
  connectionId?: string;
  reason?: string;
  suppressed?: number;
}

function collect(): { lines: Line[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  return { lines, logger: createLogger({ level: "info", write: (l) => lines.push(JSON.parse(l) as Line) }) };
}

const forged = (i: number) => signUserJwt({ secret: "f".repeat(40), userId: `mallory${i}`, ttlSeconds: 600, nowMs: Date.now() });

describe("expected refusals in the log", () => {
  it("300 bad JWTs over HTTP and 30 over graphql-ws write one warn line with the request id, then one per minute with the count; nothing at error", async () => {
    const { lines, logger } = collect();
    const clock = createManualClock(Date.now());
    t = await startTestServer({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "20", ISSUE_RATE_LIMIT_PER_MINUTE: "1" }, logger, clock });
    const post = async (headers: Record<string, string>, body: string) => (await fetch(t!.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })).status;
    const viewer = JSON.stringify({ query: "{ viewer { userId } }" });
    // Refusals in resolvers (a rate-limited issueToken, a bad argument) are no errors (and write no refusal line).
    const jwt = await t.jwt("bob");
    for (const roomId of ["r", "r", "has space"]) await post({ authorization: `Bearer ${jwt}` }, JSON.stringify({ query: ISSUE, variables: { roomId } }));
    expect(lines.filter((l) => l.level !== "info")).toEqual([]);
    for (let i = 0; i < 300; i++) await post({ authorization: `Bearer ${await forged(i)}` }, viewer);
    for (let i = 0; i < 30; i++) {
      const client = await t.ws(undefined, { connectionParams: { authorization: `Bearer ${await forged(i)}` } });
      await new Promise((resolve) => client.subscribe({ query: "{ serverTime }" }, { next: resolve, error: resolve, complete: () => resolve(undefined) }));
    }
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    const refused = lines.filter((l) => l.msg === "request refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: "warn", reason: "unauthenticated", requestId: expect.any(String) });
    // A minute later the address gets its next line, counting what was left out.
    clock.advance(60_000);
    expect(await post({ authorization: `Bearer ${await forged(999)}` }, viewer)).toBeGreaterThanOrEqual(401);
    const next = lines.filter((l) => l.msg === "request refused")[1];
    expect(next).toMatchObject({ level: "warn", requestId: expect.any(String), suppressed: 329 });
    // The whole flood wrote a handful of lines, not one per request.
    expect(lines.length).toBeLessThan(20);
  });

  it("2,000 callbacks with bad signatures write one line, not thousands", async () => {
    const { lines, logger } = collect();
    t = await startTestServer({ env: { ZEGO_CALLBACK_SECRET: "callback-secret-for-tests" }, logger });
    const statuses = new Set<number>();
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          statuses.add((await postZegoCallback(t!.server.url, "wrong-secret", streamEvent("create", "r", "u", "r_u"))).status);
        }),
      );
    }
    expect([...statuses]).toEqual([401]);
    const refused = lines.filter((l) => l.msg === "request refused");
    expect(refused).toEqual([expect.objectContaining({ level: "warn", reason: "bad-callback", requestId: expect.any(String) })]);
    expect(lines.length).toBeLessThan(5);
  });
});
