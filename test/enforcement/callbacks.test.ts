import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/server.js";
import { useEnforcing } from "../helpers/enforcing.js";
import { loginEvent, postZegoCallback, streamEvent } from "../helpers/zego-callback.js";
import { ADD_MEMBERS, GRANT, SET_ACCESS } from "../service/ops.js";

const CALLBACK_SECRET = "callback-secret-for-callback-tests";
const ROOM_VIEW = `query($roomId: String!) { room(roomId: $roomId) { liveStreams { streamId userId } bannedStreamIds } }`;
type RoomView = { room: { liveStreams: Array<{ streamId: string; userId: string }>; bannedStreamIds: string[] } };

describe("ZEGO callbacks: every signature used once; logins checked (memory mode)", () => {
  const view = async (roomId: string) => (await z.t.gql<RoomView>(ROOM_VIEW, { roomId }, "service")).data!.room;

  const z = useEnforcing({ callbackSecret: CALLBACK_SECRET });

  it("the signature of an event we ignore cannot carry a forged stream_create afterwards", async () => {
    const roomId = "cb-forge";
    await z.t.gql(GRANT, { roomId, userId: "victim", streamIds: ["cb-forge-ok"] }, "service");
    const at = Date.now();
    const ignored = await postZegoCallback(z.t.server.url, CALLBACK_SECRET, { event: "room_logout", room_id: roomId, user_account: "x" }, { nonce: "forge-1", nowMs: at });
    expect(ignored.status).toBe(200);
    // Same timestamp and nonce, hence the same valid signature, with a forged body.
    const forged = await postZegoCallback(z.t.server.url, CALLBACK_SECRET, streamEvent("create", roomId, "victim", "cb-forge-ok"), { nonce: "forge-1", nowMs: at });
    expect(forged).toMatchObject({ status: 401, body: { code: "REPLAYED" } });
    expect(await view(roomId)).toEqual({ liveStreams: [], bannedStreamIds: [] });
  });

  it("a signed but invalid event uses its nonce up too", async () => {
    const roomId = "cb-invalid";
    await z.t.gql(GRANT, { roomId, userId: "v2", streamIds: ["cb-invalid-ok"] }, "service");
    const at = Date.now();
    const bad = await postZegoCallback(z.t.server.url, CALLBACK_SECRET, streamEvent("create", roomId, "v2", "bad stream id"), { nonce: "forge-2", nowMs: at });
    expect(bad).toMatchObject({ status: 400, body: { code: "BAD_EVENT" } });
    const forged = await postZegoCallback(z.t.server.url, CALLBACK_SECRET, streamEvent("create", roomId, "v2", "cb-invalid-other"), { nonce: "forge-2", nowMs: at });
    expect(forged.status).toBe(401);
    expect((await view(roomId)).liveStreams).toEqual([]);
    expect(z.fake.calls.some((c) => c.streamIds.includes("cb-invalid-other"))).toBe(false);
  });

  it("room_login of a user who may not be in the room kicks them at once; members and open rooms are left alone", async () => {
    const roomId = "cb-login";
    await z.t.gql(SET_ACCESS, { roomId, access: "MEMBERS_ONLY" }, "service");
    await z.t.gql(ADD_MEMBERS, { roomId, userIds: ["member"] }, "service");
    expect((await postZegoCallback(z.t.server.url, CALLBACK_SECRET, loginEvent(roomId, "member"))).status).toBe(200);
    expect((await postZegoCallback(z.t.server.url, CALLBACK_SECRET, loginEvent("cb-open", "anyone"))).status).toBe(200);
    expect((await postZegoCallback(z.t.server.url, CALLBACK_SECRET, loginEvent(roomId, "intruder"), { form: true })).status).toBe(200);
    const kick = await z.fake.waitFor((c) => c.action === "KickoutUser" && c.roomId === roomId);
    expect(kick).toMatchObject({ userIds: ["intruder"], code: 0 });
    await eventually(async () => (await z.t.server.enforcer!.backlog()) === 0, 3000, "empty backlog");
    expect(z.fake.kicked.filter((k) => k.startsWith("cb-"))).toEqual([`${roomId}/intruder`]);
    const metrics = await (await fetch(`${z.t.server.url}/metrics`)).text();
    expect(metrics).toMatch(/zts_enforcement_login_kicks_total 1\b/);
  });
});
