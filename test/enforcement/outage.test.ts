import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/clock/clock.js";
import { startTestServer, TEST_APP_ID, TEST_SECRETS } from "../helpers/server.js";
import { startFakeZego } from "../helpers/fake-zego.js";
import { GRANT, REVOKE } from "../service/ops.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("ZEGO down for 30 s (manual clock)", () => {
  it("loses nothing: every forbid and kick is done after ZEGO returns", async () => {
    const clock = createManualClock(Date.now());
    const fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret, now: () => clock.now() });
    const t = await startTestServer({ clock, env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url } });
    try {
      const rooms = ["o-1", "o-2", "o-3"];
      for (const roomId of rooms) await t.gql(GRANT, { roomId, userId: "olive", streamIds: [`${roomId}-s`] }, "service");
      await t.gql(`mutation { setRoomAccess(roomId: "o-k", access: MEMBERS_ONLY) { version } }`, {}, "service");
      await t.gql(`mutation { addRoomMembers(roomId: "o-k", userIds: ["ozzy"]) { version } }`, {}, "service");
      fake.down = true;
      for (const roomId of rooms) await t.gql(REVOKE, { roomId, userId: "olive" }, "service");
      await t.gql(`mutation { removeRoomMembers(roomId: "o-k", userIds: ["ozzy"]) { version } }`, {}, "service");

      const downUntil = clock.now() + 30_000;
      while (clock.now() < downUntil) {
        clock.advance(250);
        await tick();
      }
      // Nothing got through but the rule listing at start.
      expect(fake.calls.filter((c) => c.code === 0).map((c) => c.action)).toEqual(["DescribeForbidUserRules"]);
      expect(await t.server.enforcer!.backlog()).toBe(4);

      fake.down = false;
      const deadline = clock.now() + 30_000;
      while (clock.now() < deadline && (await t.server.enforcer!.backlog()) > 0) {
        clock.advance(250);
        await tick();
      }
      expect(await t.server.enforcer!.backlog()).toBe(0);
      for (const roomId of rooms) expect(fake.banned.has(`${roomId}-s`)).toBe(true);
      expect(fake.kicked).toEqual(["o-k/ozzy"]);
      expect(fake.counts.sequenceViolations + fake.counts.expired + fake.counts.badSignature).toBe(0);
      const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
      expect(metrics).toMatch(/zts_enforcement_requests_total\{action="ForbidRTCStreams",result="retry"\} [1-9]/);
    } finally {
      await t.stop();
      await fake.stop();
    }
  }, 30_000);
});
