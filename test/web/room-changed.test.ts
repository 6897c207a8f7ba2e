import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, subscribe, type TestServer } from "../helpers/server.js";

const ROOM_CHANGED = `subscription ($roomId: String!) { roomChanged(roomId: $roomId) { roomId access members publishers { userId streamIds } version } }`;

describe("roomChanged subscription (service only)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it("sends the state at once, then after each change made through the API", async () => {
    const sub = subscribe<{ data: { roomChanged: { version: number; publishers: unknown[]; access: string; members: string[] } } }>(
      await t.ws("service"),
      ROOM_CHANGED,
      { roomId: "watch-1" },
    );
    expect((await sub.next(2000)).data.roomChanged).toMatchObject({ version: 0, publishers: [] });
    await t.gql(`mutation { grantPublish(roomId: "watch-1", userId: "alice", streamIds: ["s1"]) { version } }`, {}, "service");
    expect((await sub.next(2000)).data.roomChanged).toMatchObject({ version: 1, publishers: [{ userId: "alice", streamIds: ["s1"] }] });
    await t.gql(`mutation { setRoomAccess(roomId: "watch-1", access: MEMBERS_ONLY) { version } }`, {}, "service");
    expect((await sub.next(2000)).data.roomChanged).toMatchObject({ version: 2, access: "MEMBERS_ONLY" });
    // Another room's change is not sent.
    await t.gql(`mutation { grantPublish(roomId: "other", userId: "bob") { version } }`, {}, "service");
    expect(await sub.drain(200)).toEqual([]);
    sub.dispose();
  });

  it("drops its bus listener when the client unsubscribes", async () => {
    await expect.poll(() => t.server.backends.bus.listenerCount(), { timeout: 2000 }).toBe(0);
    const before = 0;
    const sub = subscribe(await t.ws("service"), ROOM_CHANGED, { roomId: "watch-2" });
    await sub.next(2000);
    expect(t.server.backends.bus.listenerCount()).toBe(before + 1);
    sub.dispose();
    await expect.poll(() => t.server.backends.bus.listenerCount(), { timeout: 2000 }).toBe(before);
  });

  it("refuses users and bad room IDs", async () => {
    const user = subscribe<{ errors?: Array<{ extensions?: { code?: string } }> }>(await t.ws("alice"), ROOM_CHANGED, { roomId: "watch-3" });
    expect(await user.done).toMatchObject({});
    const userResult = user.buffered[0] ?? (await user.done).error;
    expect(JSON.stringify(userResult)).toContain("FORBIDDEN");
    const bad = subscribe(await t.ws("service"), ROOM_CHANGED, { roomId: "bad room" });
    const badResult = bad.buffered[0] ?? (await bad.done).error ?? (await bad.next(2000));
    expect(JSON.stringify(badResult)).toContain("BAD_USER_INPUT");
  });
});
