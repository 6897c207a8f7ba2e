import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { firstError, startTestServer, subscribe, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { GRANT, RENEWED, type RenewedResult } from "../service/ops.js";

let redis: TestRedis | undefined;
let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  await redis?.stop();
  t = undefined;
  redis = undefined;
});

describe("expected refusals while Redis is away", () => {
  it("UNAVAILABLE is logged as a warning with the request's id (or the connection's), never at error level", async () => {
    redis = await startRedis();
    const lines: Array<Record<string, unknown>> = [];
    t = await startTestServer({ env: { REDIS_URL: redis.url }, logger: createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) });
    await redis.kill();

    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": TEST_SECRETS.apiKey, "x-request-id": "req-failover" },
      body: JSON.stringify({ query: GRANT, variables: { roomId: "away", userId: "alice" } }),
    });
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe("UNAVAILABLE");
    const sub = subscribe<RenewedResult>(await t.ws("alice"), RENEWED, { roomId: "away" });
    expect((await firstError(sub))?.extensions?.["code"]).toBe("UNAVAILABLE");

    const refusals = lines.filter((l) => l["msg"] === "refused: shared state unavailable");
    expect(refusals).toContainEqual(expect.objectContaining({ level: "warn", code: "UNAVAILABLE", requestId: "req-failover" }));
    expect(refusals).toContainEqual(expect.objectContaining({ level: "warn", code: "UNAVAILABLE", connectionId: expect.any(String) }));
    expect(lines.filter((l) => l["level"] === "error")).toEqual([]);
    sub.dispose();
  });
});
