import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";

let browser: Browser;
let t: TestServer;
let allowedSite: Server;
let otherSite: Server;

/** A page on its own origin that fetches issueToken from the service with a JWT. */
function site(): Promise<Server> {
  const page = `<!doctype html><meta charset="utf-8"><title>game</title><script>
    window.issue = async (url, jwt) => {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer " + jwt },
          body: JSON.stringify({ query: 'mutation { issueToken(roomId: "browser") { token canPublish } }' }),
        });
        return { status: res.status, body: await res.json() };
      } catch (e) {
        return { blocked: String(e) };
      }
    };
  </script>`;
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(page));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const originOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install -y chromium'`);
  allowedSite = await site();
  otherSite = await site();
  t = await startTestServer({ env: { CORS_ORIGINS: originOf(allowedSite) } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  allowedSite?.close();
  otherSite?.close();
});

describe("a browser app on another origin", () => {
  it("gets a token from an allowed origin and is blocked from any other", async () => {
    const jwt = await t.jwt("alice");
    const page = await browser.newPage();
    await page.goto(originOf(allowedSite));
    const ok = (await page.evaluate(([url, token]) => (window as unknown as { issue: (u: string, j: string) => Promise<unknown> }).issue(url!, token!), [t.url, jwt])) as {
      status: number;
      body: { data: { issueToken: { token: string } } };
    };
    expect(ok.status).toBe(200);
    expect(ok.body.data.issueToken.token).toMatch(/^04/);

    await page.goto(originOf(otherSite));
    const blocked = (await page.evaluate(([url, token]) => (window as unknown as { issue: (u: string, j: string) => Promise<unknown> }).issue(url!, token!), [t.url, jwt])) as { blocked?: string };
    expect(blocked.blocked).toMatch(/Failed to fetch/);
    await page.close();
  });
});
