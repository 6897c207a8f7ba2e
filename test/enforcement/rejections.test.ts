import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { eventually, startTestServer, TEST_APP_ID, TEST_SECRETS, type TestServer } from "../helpers/server.js";
import { startFakeZego, type FakeZego } from "../helpers/fake-zego.js";
import { GRANT, REVOKE } from "../service/ops.js";

const ROOM_VIEW = `query($roomId: String!) { room(roomId: $roomId) { bannedStreamIds } }`;

describe("one rejected ID does not lose a batch (memory mode)", () => {
  let fake: FakeZego;
  let t: TestServer;
  const lines: string[] = [];

  beforeAll(async () => {
    fake = await startFakeZego({ appId: TEST_APP_ID, serverSecret: TEST_SECRETS.serverSecret });
    t = await startTestServer({ env: { ZEGO_ENFORCE: "on", ZEGO_SERVER_API_URL: fake.url }, logger: createLogger({ level: "info", write: (line) => lines.push(line) }) });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  it("a batch ZEGO rejects is split and retried; only the item it rejects alone is dropped, logged and counted", async () => {
    const roomId = "rj-room";
    fake.reject.set("rj-bad", 2);
    await t.gql(GRANT, { roomId, userId: "alice", streamIds: ["rj-bad", "rj-ok1", "rj-ok2"] }, "service");
    expect((await t.gql(REVOKE, { roomId, userId: "alice" }, "service")).errors).toBeUndefined();
    await eventually(() => fake.banned.has("rj-ok1") && fake.banned.has("rj-ok2"), 5000, "good IDs banned");
    await eventually(async () => (await t.server.enforcer!.backlog()) === 0, 5000, "empty backlog");
    const forbids = fake.calls.filter((c) => c.action === "ForbidRTCStreams");
    expect(forbids[0]).toMatchObject({ code: 2 });
    expect(forbids[0]?.streamIds.sort()).toEqual(["rj-bad", "rj-ok1", "rj-ok2"]);
    expect(forbids.slice(1).every((c) => c.streamIds.length === 1)).toBe(true);
    expect(forbids.filter((c) => c.streamIds[0] === "rj-bad").length).toBe(2);
    expect(fake.banned.has("rj-bad")).toBe(false);
    // What the room shows as banned is what ZEGO confirmed.
    const view = await t.gql<{ room: { bannedStreamIds: string[] } }>(ROOM_VIEW, { roomId }, "service");
    expect(view.data!.room.bannedStreamIds).toEqual(["rj-ok1", "rj-ok2"]);
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(metrics).toMatch(/zts_enforcement_rejected_total\{action="ForbidRTCStreams"\} 1\b/);
    const dropped = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "zego rejected an item on its own; dropped");
    expect(dropped).toMatchObject([{ action: "ForbidRTCStreams", ids: ["rj-bad"], code: 2 }]);
  });
});
