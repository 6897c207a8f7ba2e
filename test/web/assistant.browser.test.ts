import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTokenCli } from "../../src/cli/token-cli.js";
import { decodeToken04, verifyToken04 } from "../../src/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { loadVectors } from "../helpers/vectors.js";
import { ARTIFACTS_DIR, launchChromium } from "./browser.js";

const vectors = loadVectors();
const SECRET = "0123456789abcdef0123456789ABCDEF";

/** What `zego-token verify --json` prints for the token. */
async function cliVerify(token: string, secret: string, args: string[]): Promise<unknown> {
  let out = "";
  await runTokenCli(["verify", ...args, token], {
    env: { ZEGO_SERVER_SECRET: secret },
    stdout: (text) => (out += text),
    stderr: () => undefined,
    readStdin: async () => "",
    readFile: async () => "",
    now: () => Math.floor(Date.now() / 1000),
  });
  return JSON.parse(out) as unknown;
}

describe("the Token Assistant in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const afterLoad: string[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer(), launchChromium()]);
    page = await browser.newPage();
    let loaded = false;
    page.on("request", (r) => {
      if (loaded) afterLoad.push(`${r.method()} ${r.url()}`);
    });
    await page.goto(`${t.server.url}/assistant`, { waitUntil: "networkidle" });
    loaded = true;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const fill = async (values: Record<string, string>) => {
    for (const [name, value] of Object.entries(values)) await page.fill(`[name="${name}"]`, value);
  };
  const text = (testId: string) => page.locator(`[data-testid="${testId}"]`).innerText();
  /** Clicks a button and returns the JSON it writes into its (first emptied) output. */
  const press = async (button: string, testId: string): Promise<unknown> => {
    await page.locator(`[data-testid="${testId}"]`).evaluate((el) => (el.textContent = ""));
    await page.getByRole("button", { name: button }).click();
    await expect.poll(() => text(testId)).not.toBe("");
    return JSON.parse(await text(testId)) as unknown;
  };

  it("generates a privilege token that the library decodes", async () => {
    await fill({ appId: "123", secret: SECRET, userId: "alice", roomId: "room-1", streamIds: "cam, screen", ttl: "600" });
    await page.check('[name="canPublish"]');
    await page.selectOption('[name="mode"]', "gcm");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => text("token")).toMatch(/^04/);
    const token = await text("token");
    const decoded = decodeToken04(token, { secret: SECRET });
    expect(decoded).toMatchObject({ mode: "gcm", appId: 123, userId: "alice" });
    expect(decoded.expiresAt - decoded.issuedAt).toBe(600);
    expect(decoded.privilege).toEqual({ roomId: "room-1", canLoginRoom: true, canPublish: true, streamIds: ["cam", "screen"] });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/assistant-generate.png`, fullPage: true });

    await page.selectOption('[name="mode"]', "cbc");
    await page.uncheck('[name="canPublish"]');
    await page.fill('[name="streamIds"]', "");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(async () => (await text("token")) !== token).toBe(true);
    const legacy = decodeToken04(await text("token"), { secret: SECRET });
    expect(legacy).toMatchObject({ mode: "cbc", privilege: { roomId: "room-1", canLoginRoom: true, canPublish: false, streamIds: null } });
    const legacyToken = await text("token");
    expect(() => verifyToken04(legacyToken, { secret: SECRET, appId: 123, publish: true })).toThrow(/publish/);
  });

  it("refuses every out-of-range TTL with the same message (0, -5, 1.5, 31 years) and changes no token", async () => {
    await fill({ appId: "123", secret: SECRET, userId: "alice", roomId: "room-1", streamIds: "", ttl: "600" });
    const held = await page.inputValue('[name="token"]');
    const messages: string[] = [];
    for (const ttl of ["0", "-5", "1.5", "abc", String(31 * 365 * 86400), "2592001"]) {
      await page.fill('[name="ttl"]', ttl);
      await page.locator('[data-testid="token"]').evaluate((el) => (el.textContent = ""));
      await page.getByRole("button", { name: "Generate" }).click();
      await expect.poll(() => text("token")).not.toBe("");
      messages.push(await text("token"));
    }
    expect(new Set(messages)).toEqual(new Set(["TTL must be a whole number of seconds from 1 to 2592000 (30 days)"]));
    expect(await page.inputValue('[name="token"]')).toBe(held);
    await page.fill('[name="ttl"]', "2592000");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => text("token")).toMatch(/^04/);
    const decoded = decodeToken04(await text("token"), { secret: SECRET });
    expect(decoded.expiresAt - decoded.issuedAt).toBe(2592000);
  });

  it("decodes and verifies every vector token in the page, with the CLI's codes", async () => {
    await fill({ appId: String(vectors.appId), secret: vectors.secret, roomId: "", streamId: "" });
    for (const v of vectors.valid) {
      await fill({ token: v.token, userId: v.plaintext["user_id"] as string, now: String(v.now) });
      expect(await press("Decode", "decoded")).toMatchObject({ mode: v.mode, plaintext: v.plaintext });
      const verdict = await press("Verify", "verdict");
      expect(verdict).toMatchObject({ valid: true, restricted: v.privilege !== null, userId: v.plaintext["user_id"] });
      expect(verdict).toEqual(await cliVerify(v.token, vectors.secret, ["--app-id", String(vectors.appId), "--user-id", v.plaintext["user_id"] as string, "--now", String(v.now)]));
    }
    await page.fill('[name="userId"]', "");
    for (const v of vectors.invalid) {
      await fill({ token: v.token, secret: v.secret ?? vectors.secret, now: String(v.now) });
      const zego = v.error === "TOKEN_EXPIRED" ? 1002078 : v.error === "TOKEN_UNSUPPORTED_VERSION" ? 1002079 : 1002074;
      const verdict = await press("Verify", "verdict");
      expect(verdict).toMatchObject({ valid: false, code: v.error, zegoErrorCode: zego });
      expect(verdict).toEqual(await cliVerify(v.token, v.secret ?? vectors.secret, ["--app-id", String(vectors.appId), "--now", String(v.now)]));
    }
    // A verify failure of the room check, with the ZEGO number.
    const privileged = vectors.valid.find((v) => v.privilege !== null);
    expect(privileged).toBeDefined();
    await fill({ token: privileged!.token, secret: vectors.secret, now: String(privileged!.now), roomId: "another-room" });
    const verdict = await press("Verify", "verdict");
    expect(verdict).toMatchObject({ valid: false, code: "TOKEN_ROOM_MISMATCH", zegoErrorCode: 1002033 });
    expect(verdict).toEqual(
      await cliVerify(privileged!.token, vectors.secret, ["--app-id", String(vectors.appId), "--room-id", "another-room", "--now", String(privileged!.now)]),
    );
    await page.screenshot({ path: `${ARTIFACTS_DIR}/assistant-verify.png`, fullPage: true });
  });

  it("made no request after the page loaded, and stored nothing", async () => {
    expect(afterLoad).toEqual([]);
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, url: location.href, cookie: document.cookie }));
    expect(storage).toEqual({ local: 0, session: 0, url: `${t.server.url}/assistant`, cookie: "" });
  });
});
