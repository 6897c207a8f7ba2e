import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/process.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
let browser: Browser;
let t: TestServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install -y chromium'`);
  t = await startTestServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe("GraphiQL", () => {
  it("renders offline (no request leaves 127.0.0.1), prefilled, and runs a subscription with its headers", async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    // Anything that is not this server fails, as it would without internet.
    await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
    await page.goto(t.url, { waitUntil: "load" });
    await page.waitForSelector(".graphiql-container", { timeout: 20_000 });
    expect(await page.textContent(".graphiql-container")).toContain("issueToken");
    const outside = requests.filter((u) => !u.startsWith("http://127.0.0.1") && !u.startsWith("data:"));
    expect(outside).toEqual([]);

    // A subscription as GraphiQL sends it: POST SSE with the Headers tab's credentials and its extra header.
    const jwt = await t.jwt("alice");
    const first = await page.evaluate(
      async ([url, token]) => {
        const res = await fetch(url!, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}`, "x-graphql-yoga-csrf": "graphiql" },
          body: JSON.stringify({ query: 'subscription { tokenRenewed(roomId: "gq") { reason } }' }),
        });
        const reader = res.body!.getReader();
        let text = "";
        while (!text.includes("INITIAL")) text += new TextDecoder().decode((await reader.read()).value);
        await reader.cancel();
        return text;
      },
      [t.url, jwt],
    );
    expect(first).toContain("INITIAL");
    const dir = join(ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, "graphiql.png") });
    await page.close();
  }, 60_000);

  it("is off in production", async () => {
    const prod = await startTestServer({ env: { NODE_ENV: "production" } });
    try {
      const res = await fetch(prod.url, { headers: { accept: "text/html" } });
      expect(await res.text()).not.toContain("graphiql");
    } finally {
      await prod.stop();
    }
  });
});
