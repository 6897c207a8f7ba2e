import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/server.js";
import { useEnforcing } from "../helpers/enforcing.js";
import { postZegoCallback, streamEvent } from "../helpers/zego-callback.js";
import { GRANT, REVOKE } from "../service/ops.js";

const CALLBACK_SECRET = "callback-secret-for-foreign-tests";
const ROOM_VIEW = `query($roomId: String!) { room(roomId: $roomId) { bannedStreamIds } }`;

describe("no foreign bans: bans are AppID-wide, so each stream ID belongs to the room that names it", () => {
  const banned = async (roomId: string) => (await z.t.gql<{ room: { bannedStreamIds: string[] } }>(ROOM_VIEW, { roomId }, "service")).data!.room.bannedStreamIds;

  const z = useEnforcing({ callbackSecret: CALLBACK_SECRET });

  it("an any-stream player of room X publishing room Y's stream ID is stopped, but the ID stays open for Y", async () => {
    await z.t.gql(GRANT, { roomId: "fx-y", userId: "yara", streamIds: ["fx-stage"] }, "service");
    await z.t.gql(GRANT, { roomId: "fx-x", userId: "xavi" }, "service");
    expect((await postZegoCallback(z.t.server.url, CALLBACK_SECRET, streamEvent("create", "fx-x", "xavi", "fx-stage"))).status).toBe(200);
    await z.t.gql(REVOKE, { roomId: "fx-x", userId: "xavi" }, "service");
    // Xavi's publish is stopped (forbid), then the ID is opened again for Yara (resume).
    await z.fake.waitFor((c) => c.action === "ResumeRTCStreams" && c.streamIds.includes("fx-stage") && c.code === 0);
    const calls = z.fake.calls.filter((c) => c.streamIds.includes("fx-stage") && c.code === 0).map((c) => c.action);
    expect(calls).toEqual(["ForbidRTCStreams", "ResumeRTCStreams"]);
    await eventually(async () => (await z.t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
    expect(z.fake.banned.has("fx-stage")).toBe(false);
    expect(await banned("fx-x")).toEqual([]);
  });

  it("a room that names an ID another room banned resumes it at once", async () => {
    await z.t.gql(GRANT, { roomId: "fx-a", userId: "ann", streamIds: ["fx-old"] }, "service");
    await z.t.gql(REVOKE, { roomId: "fx-a", userId: "ann" }, "service");
    await eventually(async () => (await banned("fx-a")).includes("fx-old"), 3000, "banned in advance");
    await z.t.gql(GRANT, { roomId: "fx-b", userId: "ben", streamIds: ["fx-old"] }, "service");
    // The grant answers (and Ben's token is pushed) once ZEGO resumed the ID.
    expect(z.fake.calls.find((c) => c.action === "ResumeRTCStreams" && c.streamIds.includes("fx-old"))?.code).toBe(0);
    expect(z.fake.banned.has("fx-old")).toBe(false);
    expect(await banned("fx-a")).toEqual([]);
  });
});
