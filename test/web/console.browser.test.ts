import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { ARTIFACTS_DIR, launchChromium } from "./browser.js";

describe("the room console in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A named key: its name is what the history shows as the actor.
    [t, browser] = await Promise.all([startTestServer({ env: { SERVICE_API_KEYS: `on-call:${TEST_SECRETS.apiKey}` } }), launchChromium()]);
    page = await browser.newPage();
    await page.goto(`${t.server.url}/console`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const testId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const openButton = () => page.getByRole("button", { name: "Open", exact: true });
  const historyLines = async () => (await testId("history").locator("li").allInnerTexts()).map((s) => s.replace(/^.*? v/, "v"));

  it("shows UNAUTHENTICATED for a wrong API key, and leaves it in the field to be fixed", async () => {
    await page.fill('[name="apiKey"]', "not-the-key");
    await page.fill('[name="roomId"]', "console-room");
    await openButton().click();
    await expect.poll(() => testId("error").innerText()).toContain("UNAUTHENTICATED");
    expect(await testId("error").innerText()).not.toContain("not-the-key");
    expect(await page.locator('[name="apiKey"]').inputValue()).toBe("not-the-key");
    await page.screenshot({ path: `${ARTIFACTS_DIR}/console-unauthenticated.png`, fullPage: true });
  });

  it("shows a grant made through the API within a second, with its history entry", async () => {
    await page.fill('[name="apiKey"]', TEST_SECRETS.apiKey);
    await openButton().click();
    await expect.poll(() => testId("status").innerText(), { timeout: 5000 }).toContain("Live");
    expect(await testId("error").innerText()).toBe("");
    expect(await page.locator('[name="apiKey"]').inputValue()).toBe("");

    const started = Date.now();
    const grant = await t.gql(`mutation { grantPublish(roomId: "console-room", userId: "alice", streamIds: ["cam-1"]) { version } }`, {}, "service");
    expect(grant.errors).toBeUndefined();
    await expect.poll(() => testId("publishers").innerText(), { timeout: 1000, interval: 20 }).toContain("alice: cam-1");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await testId("version").innerText()).toBe("1");
    await expect.poll(historyLines).toEqual(["v1 on-call grantPublish: publish rules on, alice may publish cam-1"]);
    expect(await testId("enforcement-hint").innerText()).toContain("Enforcement is off");
  });

  it("changes the room with its actions; history newest first; the atomic members-only switch is one entry", async () => {
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
    await page.getByRole("button", { name: "Members only: these members" }).click();
    await expect.poll(() => testId("access").innerText()).toBe("MEMBERS_ONLY");
    expect(await testId("members").innerText()).toBe("carol\ndave");

    const room = await t.gql<{ room: { access: string; members: string[]; version: number } }>(`{ room(roomId: "console-room") { access members version } }`, {}, "service");
    expect(room.data?.room).toEqual({ access: "MEMBERS_ONLY", members: ["carol", "dave"], version: 5 });
    await expect.poll(historyLines).toEqual([
      "v5 on-call setRoomAccess: access MEMBERS_ONLY with 2 members; carol, dave added",
      "v4 on-call setPublishers: turn: alice lost publish, carol may publish s1, s2, dave may publish any stream",
      "v3 on-call revokePublish: bob lost publish",
      "v2 on-call grantPublish: bob may publish any stream",
      "v1 on-call grantPublish: publish rules on, alice may publish cam-1",
    ]);

    await page.fill('[name="members"]', "dave");
    await page.getByRole("button", { name: "Remove members" }).click();
    await expect.poll(() => testId("members").innerText()).toBe("carol");
    await page.getByRole("button", { name: "Members only: off" }).click();
    await expect.poll(() => testId("access").innerText()).toBe("OPEN");
    await page.getByRole("button", { name: "Members only: on" }).click();
    await expect.poll(() => testId("access").innerText()).toBe("MEMBERS_ONLY");
    await page.fill('[name="members"]', "carol, dave");
    await page.getByRole("button", { name: "Add members" }).click();
    await expect.poll(() => testId("members").innerText()).toBe("carol\ndave");
    await expect.poll(async () => (await historyLines())[0]).toBe("v9 on-call addRoomMembers: dave added");

    await page.fill('[name="userId"]', "bad user id");
    await page.getByRole("button", { name: "Grant publish" }).click();
    await expect.poll(() => testId("error").innerText()).toMatch(/^BAD_USER_INPUT: .*userId/);
  });

  it("shows token holders with a countdown, and the whole history after a reload", async () => {
    const issued = await t.gql<{ issueToken: { expiresAt: string } }>(`mutation { issueToken(roomId: "console-room") { expiresAt } }`, {}, "carol");
    expect(issued.errors).toBeUndefined();
    await page.reload();
    await page.fill('[name="apiKey"]', TEST_SECRETS.apiKey);
    await page.fill('[name="roomId"]', "console-room");
    await openButton().click();
    await expect.poll(() => testId("status").innerText(), { timeout: 5000 }).toContain("Live");
    expect(await testId("history").locator("li").count()).toBe(9);
    expect((await historyLines())[8]).toBe("v1 on-call grantPublish: publish rules on, alice may publish cam-1");
    const holder = testId("holders").locator("li");
    await expect.poll(() => holder.innerText()).toMatch(/^carol: \d+:\d\d left · may publish s1, s2$/);
    const first = await holder.locator(".countdown").innerText();
    await expect.poll(() => holder.locator(".countdown").innerText(), { timeout: 3000 }).not.toBe(first);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/console-live.png`, fullPage: true });
  });

  it("keeps the key in memory across Open: another room opens without typing it again", async () => {
    await t.gql(`mutation { addRoomMembers(roomId: "console-other", userIds: ["erin"]) { version } }`, {}, "service");
    expect(await page.locator('[name="apiKey"]').inputValue()).toBe("");
    await page.fill('[name="roomId"]', "console-other");
    await openButton().click();
    await expect.poll(() => testId("status").innerText(), { timeout: 5000 }).toBe("Live: console-other");
    expect(await testId("error").innerText()).toBe("");
    expect(await historyLines()).toEqual(["v1 on-call addRoomMembers: erin added"]);
    expect(await testId("holders").locator("li").count()).toBe(0);
    // A token issued without any room change shows up with the next re-read (every 5 s).
    expect((await t.gql(`mutation { issueToken(roomId: "console-other") { token } }`, {}, "erin")).errors).toBeUndefined();
    await expect.poll(() => testId("holders").innerText(), { timeout: 8000, interval: 200 }).toMatch(/^erin: \d+:\d\d left · may not publish$/);
    // The key never reaches the DOM.
    expect(await page.content()).not.toContain(TEST_SECRETS.apiKey);
  });

  it("is linked from /, which also links GraphiQL and the Assistant, with a favicon", async () => {
    const home = await browser.newPage();
    const icons: number[] = [];
    home.on("response", (r) => {
      if (r.url().endsWith("/favicon.svg")) icons.push(r.status());
    });
    await home.goto(`${t.server.url}/`);
    for (const name of ["Room console", "Token Assistant", "GraphiQL"]) expect(await home.getByRole("link", { name, exact: true }).count()).toBe(1);
    await home.screenshot({ path: `${ARTIFACTS_DIR}/home.png` });
    await home.getByRole("link", { name: "Room console", exact: true }).click();
    await home.waitForURL(/\/console$/);
    expect(await home.locator('[name="apiKey"]').count()).toBe(1);
    await expect.poll(() => icons.length).toBeGreaterThan(0);
    expect(icons.every((s) => s === 200)).toBe(true);
    await home.close();
  });
});
