import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { ARTIFACTS_DIR, launchChromium } from "./browser.js";

describe("the room console in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer(), launchChromium()]);
    page = await browser.newPage();
    await page.goto(`${t.server.url}/console`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const testId = (id: string) => page.locator(`[data-testid="${id}"]`);

  it("shows UNAUTHENTICATED for a wrong API key", async () => {
    await page.fill('[name="apiKey"]', "not-the-key");
    await page.fill('[name="roomId"]', "console-room");
    await page.getByRole("button", { name: "Open", exact: true }).click();
    await expect.poll(() => testId("error").innerText()).toContain("UNAUTHENTICATED");
    expect(await testId("error").innerText()).not.toContain("not-the-key");
    await page.screenshot({ path: `${ARTIFACTS_DIR}/console-unauthenticated.png`, fullPage: true });
  });

  it("shows a grant made through the API within a second, and keeps a timeline", async () => {
    await page.fill('[name="apiKey"]', TEST_SECRETS.apiKey);
    await page.fill('[name="roomId"]', "console-room");
    await page.getByRole("button", { name: "Open", exact: true }).click();
    await expect.poll(() => testId("status").innerText(), { timeout: 5000 }).toContain("Live");
    expect(await testId("error").innerText()).toBe("");
    expect(await page.locator('[name="apiKey"]').inputValue()).toBe("");

    const started = Date.now();
    const grant = await t.gql(`mutation { grantPublish(roomId: "console-room", userId: "alice", streamIds: ["cam-1"]) { version } }`, {}, "service");
    expect(grant.errors).toBeUndefined();
    await expect.poll(() => testId("publishers").innerText(), { timeout: 1000, interval: 20 }).toContain("alice: cam-1");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await testId("version").innerText()).toBe("1");
    expect(await testId("timeline").innerText()).toContain("+publish alice [cam-1]");
  });

  it("changes the room with its actions and shows the service's errors", async () => {
    await page.fill('[name="userId"]', "bob");
    await page.fill('[name="streamIds"]', "");
    await page.getByRole("button", { name: "Grant publish" }).click();
    await expect.poll(() => testId("publishers").innerText()).toContain("bob: any stream");

    await page.getByRole("button", { name: "Revoke publish" }).click();
    await expect.poll(() => testId("publishers").innerText()).not.toContain("bob");

    await page.fill('[name="publishers"]', "carol: s1, s2\ndave");
    await page.getByRole("button", { name: "Set publishers" }).click();
    await expect.poll(() => testId("publishers").innerText()).toBe("carol: s1, s2\ndave: any stream");

    await page.fill('[name="members"]', "carol, dave");
    await page.getByRole("button", { name: "Add members" }).click();
    await expect.poll(() => testId("members").innerText()).toBe("carol\ndave");
    await page.getByRole("button", { name: "Members only: on" }).click();
    await expect.poll(() => testId("access").innerText()).toBe("MEMBERS_ONLY");

    const room = await t.gql<{ room: { access: string; members: string[] } }>(`{ room(roomId: "console-room") { access members } }`, {}, "service");
    expect(room.data?.room).toEqual({ access: "MEMBERS_ONLY", members: ["carol", "dave"] });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/console-live.png`, fullPage: true });

    await page.fill('[name="members"]', "dave");
    await page.getByRole("button", { name: "Remove members" }).click();
    await expect.poll(() => testId("members").innerText()).toBe("carol");
    await page.getByRole("button", { name: "Members only: off" }).click();
    await expect.poll(() => testId("access").innerText()).toBe("OPEN");

    await page.fill('[name="userId"]', "bad user id");
    await page.getByRole("button", { name: "Grant publish" }).click();
    await expect.poll(() => testId("error").innerText()).toMatch(/^BAD_USER_INPUT: .*userId/);
  });
});
