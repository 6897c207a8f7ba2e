import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGameServerClient } from "../../packages/client/src/index.js";
import { decodeToken04 } from "../../src/index.js";
import { eventually, startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";

let browser: Browser;
let t: TestServer;
let site: Server;

/** The client bundle as a browser gets it, and a page whose engine records every SDK call. */
async function startSite(): Promise<Server> {
  const bundle = await build({
    entryPoints: ["packages/client/src/index.ts"],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    write: false,
  });
  const js = bundle.outputFiles[0]!.text;
  const page = `<!doctype html><meta charset="utf-8"><title>room</title><script type="module">
    import { createTokenClient, zegoWebEngine } from "/client.js";
    const calls = [];
    const zg = {
      async loginRoom(roomID, token, user) { calls.push(["loginRoom", roomID, token, user]); return true; },
      renewToken(token, roomID) { calls.push(["renewToken", token, roomID]); return true; },
      logoutRoom(roomID) { calls.push(["logoutRoom", roomID]); },
      on() { return true; },
      off() { return true; },
    };
    window.calls = calls;
    window.join = async (url, jwt, roomId) => {
      const client = createTokenClient({ url, authorization: () => "Bearer " + jwt });
      window.client = client;
      const room = await client.joinRoom({ roomId, engine: zegoWebEngine(zg), user: { userID: "alice" } });
      window.room = room;
      return room.token.token;
    };
  </script>`;
  // examples/web, built as its README says (the real SDK left out: the example runs its stand-in engine).
  const example = await build({
    entryPoints: ["examples/web/app.mjs"], bundle: true, format: "esm", write: false,
    alias: { "zego-token-service/client": "./packages/client/src/index.ts" }, external: ["zego-express-engine-webrtc"],
  });
  const exampleJs = example.outputFiles[0]!.text;
  const exampleHtml = readFileSync("examples/web/index.html", "utf8");
  const server = createServer((req, res) => {
    if (req.url === "/example/") res.writeHead(200, { "content-type": "text/html" }).end(exampleHtml);
    else if (req.url === "/example/dist/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(exampleJs);
    else if (req.url === "/client.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else res.writeHead(200, { "content-type": "text/html" }).end(page);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const originOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install -y chromium'`);
  site = await startSite();
  t = await startTestServer({ env: { CORS_ORIGINS: originOf(site) } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  site?.close();
});

type Call = [string, ...unknown[]];

describe("the client bundle in Chromium", () => {
  it("joins, and a grant from the service side reaches the page's engine as renewToken(token, roomID)", async () => {
    const page = await browser.newPage();
    await page.goto(originOf(site));
    await page.waitForFunction(() => "join" in window);
    const jwt = await t.jwt("alice");
    const loginToken = await page.evaluate(([url, token]) => (window as unknown as { join(u: string, j: string, r: string): Promise<string> }).join(url!, token!, "web-1"), [t.url, jwt]);
    const calls = () => page.evaluate(() => (window as unknown as { calls: Call[] }).calls);
    expect((await calls())[0]).toEqual(["loginRoom", "web-1", loginToken, { userID: "alice" }]);

    const game = createGameServerClient({ url: t.url, apiKey: TEST_SECRETS.apiKey });
    let published: string | undefined;
    await eventually(async () => {
      // Granting again until it lands covers the moment before the subscription is live.
      if (published === undefined) await game.grantPublish({ roomId: "web-1", userId: "alice", streamIds: ["cam"] });
      const renew = (await calls()).filter((c) => c[0] === "renewToken");
      published = renew.map((c) => c[1] as string).find((tok) => decodeToken04(tok, { secret: TEST_SECRETS.serverSecret, now: Math.floor(Date.now() / 1000) }).privilege?.canPublish);
      return published !== undefined;
    }, 10_000, "a publishing token in the page");
    const renewCall = (await calls()).find((c) => c[1] === published)!;
    expect(renewCall).toEqual(["renewToken", published, "web-1"]);
    expect(decodeToken04(published!, { secret: TEST_SECRETS.serverSecret, now: Math.floor(Date.now() / 1000) }).privilege).toEqual({
      roomId: "web-1", canLoginRoom: true, canPublish: true, streamIds: ["cam"],
    });
    await page.evaluate(async () => {
      const w = window as unknown as { room: { leave(): Promise<void> }; client: { close(): Promise<void> } };
      await w.room.leave();
      await w.client.close();
    });
    expect((await calls()).at(-1)).toEqual(["logoutRoom", "web-1"]);
    await page.close();
  });

  it("examples/web joins with its stand-in engine and shows a granted token", async () => {
    const page = await browser.newPage();
    await page.goto(`${originOf(site)}/example/`);
    await page.fill("input[name=url]", t.url);
    await page.fill("input[name=jwt]", await t.jwt("alice"));
    await page.fill("input[name=room]", "web-2");
    await page.click("form button");
    const log = () => page.textContent("#log").then((s) => s ?? "");
    await eventually(async () => (await log()).includes("engine.loginRoom(web-2, 04"), 5000, "login in the example");
    const game = createGameServerClient({ url: t.url, apiKey: TEST_SECRETS.apiKey });
    await eventually(async () => {
      if (!(await log()).includes("canPublish=true")) await game.grantPublish({ roomId: "web-2", userId: "alice" });
      return (await log()).includes("canPublish=true");
    }, 10_000, "the grant in the example's log");
    // The log shows each token's nonce, so the granted token looks different from the first one.
    const [, first] = (await log()).match(/engine\.loginRoom\(web-2, 04…([A-Za-z0-9+/]{12})…, alice\)/)!;
    const [, granted] = (await log()).match(/engine\.renewToken\(04…([A-Za-z0-9+/]{12})…, web-2\)/)!;
    expect(granted).not.toBe(first);
    await page.click("#leave");
    await eventually(async () => (await log()).includes("engine.logoutRoom(web-2)"), 5000, "logout");
    await page.close();
  });
});
