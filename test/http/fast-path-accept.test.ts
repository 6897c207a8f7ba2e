import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { postGraphQL } from "../../packages/client/src/http.js";
import { negotiateJson } from "../../src/server/accept.js";
import { isFastPathRequest } from "../../src/server/json-fast-path.js";
import { CLIENT_ACCEPTS } from "../fixtures/client-accepts.js";
import { startTestServer } from "../helpers/server.js";

/** Only the fields the router reads. */
const post = (accept: string | undefined) => ({ method: "POST", headers: { "content-type": "application/json", ...(accept === undefined ? {} : { accept }) } }) as IncomingMessage;

describe("which requests the JSON fast path serves", () => {
  it("every mainstream client's Accept header takes the fast path and is answered application/graphql-response+json", () => {
    for (const [client, accept] of Object.entries(CLIENT_ACCEPTS)) {
      expect({ client, fast: isFastPathRequest(post(accept), "/graphql") }).toEqual({ client, fast: true });
      expect({ client, type: negotiateJson(accept) }).toEqual({ client, type: "application/graphql-response+json" });
    }
  });

  it("the fixture is what our client helper really sends", async () => {
    let sent: Record<string, string> = {};
    const capture = async (_url: string, init: { headers: Record<string, string> }) => {
      sent = init.headers;
      return { status: 200, json: async () => ({ data: {} }) };
    };
    await postGraphQL(capture, "http://token-service.invalid/graphql", {}, "{ serverTime }", {});
    expect(sent["accept"]).toBe(CLIENT_ACCEPTS["zego-token-service/client"]);
  });

  it("negotiates as Yoga does: first JSON-capable type wins, wildcards get application/json, other charsets are skipped", () => {
    expect(negotiateJson(undefined)).toBe("application/json");
    expect(negotiateJson("")).toBe("application/json");
    expect(negotiateJson("*/*")).toBe("application/json");
    expect(negotiateJson("application/json, application/graphql-response+json")).toBe("application/json");
    expect(negotiateJson("text/html, application/*;q=0.5")).toBe("application/json");
    expect(negotiateJson("application/json; charset=iso-8859-1, application/graphql-response+json")).toBe("application/graphql-response+json");
    expect(negotiateJson("text/event-stream")).toBeUndefined();
    expect(negotiateJson("text/html")).toBeUndefined();
    expect(isFastPathRequest(post("text/event-stream"), "/graphql")).toBe(false);
    expect(isFastPathRequest(post("application/json"), "/other")).toBe(false);
  });

  it("answers our client's header over the wire with the GraphQL media type", async () => {
    const t = await startTestServer();
    try {
      const res = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: CLIENT_ACCEPTS["zego-token-service/client"], authorization: `Bearer ${await t.jwt("alice")}` },
        body: JSON.stringify({ query: "{ viewer { userId } }" }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/graphql-response+json; charset=utf-8");
      expect(await res.json()).toEqual({ data: { viewer: { userId: "alice" } } });
    } finally {
      await t.stop();
    }
  });
});
