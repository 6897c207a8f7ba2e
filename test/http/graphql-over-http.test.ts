import { auditServer } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

/** Audits we deviate from on purpose, with the reason (also listed in the README). */
const DEVIATIONS: Readonly<Record<string, string>> = {};

describe("the GraphQL-over-HTTP spec (graphql-http's audit suite)", () => {
  it("passes every audit, with no error and no warning", async () => {
    const results = await auditServer({ url: t.url, fetchFn: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-graphql-yoga-csrf": "1" } }) });
    expect(results.length).toBeGreaterThan(30);
    const problems = results.filter((r) => (r.status === "warn" || r.status === "error") && DEVIATIONS[r.id] === undefined).map((r) => `${r.status} ${r.id} ${r.name}`);
    expect(problems).toEqual([]);
  });

  it("answers a mutation over GET, and PUT or DELETE, with 405 and an Allow header", async () => {
    const get = await fetch(`${t.url}?query=${encodeURIComponent('mutation { revokePublish(roomId: "r", userId: "u") { version } }')}`, {
      headers: { "x-graphql-yoga-csrf": "1", accept: "application/graphql-response+json" },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toMatch(/POST/);
    for (const method of ["PUT", "DELETE"]) {
      const res = await fetch(t.url, { method, headers: { "content-type": "application/json" }, body: method === "PUT" ? "{}" : null });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toMatch(/POST/);
    }
  });
});
