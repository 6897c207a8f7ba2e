import { describe, expect, it } from "vitest";
import type { RoomStore } from "../../src/rooms/store.js";
import { renewalSetup } from "../helpers/renewal.js";

const setup = (wrap?: (store: RoomStore) => RoomStore) => renewalSetup(wrap === undefined ? {} : { wrap });

describe("RenewalStream", () => {
  it("coalesces 100 changes made while the subscriber is busy into one push with the final state", async () => {
    const { hub, rooms } = setup();
    const stream = await hub.subscribe("alice", "r");
    const first = await stream.next();
    expect(first.value).toMatchObject({ reason: "INITIAL" });
    for (let i = 0; i < 100; i++) {
      await rooms.change("r", i % 2 === 0 ? { kind: "grantPublish", userId: "alice", streamIds: [`s${i}`] } : { kind: "revokePublish", userId: "alice" });
    }
    await rooms.change("r", { kind: "grantPublish", userId: "alice", streamIds: ["final"] });
    const push = await stream.next();
    expect(push.value).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true, streamIds: ["final"], version: 101 } });
    // Nothing else is queued.
    const again = stream.next();
    const nothing = await Promise.race([again.then(() => "pushed"), new Promise((r) => setTimeout(() => r("idle"), 50))]);
    expect(nothing).toBe("idle");
    await stream.return();
    await again;
  });

  it("drops late and duplicate events and skips pushes that would not change the token", async () => {
    const { hub, rooms, bus } = setup();
    const stream = await hub.subscribe("alice", "r");
    await stream.next();
    const idle = async () => {
      const pending = stream.next();
      const state = await Promise.race([pending.then(() => "pushed"), new Promise((r) => setTimeout(() => r("idle"), 50))]);
      return { state, pending };
    };
    // Publish rules appear (an event for everyone), but alice could not publish before either.
    await rooms.change("r", { kind: "grantPublish", userId: "bob", streamIds: null });
    const first = await idle();
    expect(first.state).toBe("idle");
    await rooms.change("r", { kind: "grantPublish", userId: "alice", streamIds: null });
    expect((await first.pending).value).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true, version: 2 } });
    await bus.publish({ roomId: "r", userIds: null, version: 2 }); // duplicate
    await bus.publish({ roomId: "r", userIds: ["alice"], version: 1 }); // late
    await bus.publish({ roomId: "r", userIds: ["alice"], version: 7 }); // newer, but nothing changed
    const second = await idle();
    expect(second.state).toBe("idle");
    await stream.return();
    expect((await second.pending).done).toBe(true);
  });

  it("fires EXPIRING at renewAt for every subscriber and releases everything on return", async () => {
    const { hub, clock, bus } = setup();
    const alice = await hub.subscribe("alice", "r");
    const bob = await hub.subscribe("bob", "r");
    const a0 = (await alice.next()).value as { token: { renewAtMs: number } };
    await bob.next();
    clock.advance(a0.token.renewAtMs - clock.now());
    expect((await alice.next()).value).toMatchObject({ reason: "EXPIRING" });
    expect((await bob.next()).value).toMatchObject({ reason: "EXPIRING" });
    expect(hub.stats()).toEqual({ subscriptions: 2, timers: 2 });
    await alice.return();
    await bob.return();
    expect(hub.stats()).toEqual({ subscriptions: 0, timers: 0 });
    expect(bus.listenerCount()).toBe(0);
  });

  it("re-reads when a shared read started before the announced change (single-flight reads stay correct)", async () => {
    let hold: Promise<void> | undefined;
    const { hub, rooms, issuer } = setup((inner) => ({
      ...inner,
      async getRoom(roomId) {
        const gate = hold;
        const snapshot = await inner.getRoom(roomId);
        if (gate !== undefined) await gate;
        return snapshot;
      },
    }));
    const stream = await hub.subscribe("alice", "sf");
    expect((await stream.next()).value).toMatchObject({ reason: "INITIAL", token: { canPublish: false } });
    let release: () => void = () => undefined;
    hold = new Promise((r) => {
      release = r;
    });
    const staleRead = issuer.decide("carol", "sf"); // in flight with the state before the change
    const pushed = stream.next();
    hold = undefined;
    await rooms.change("sf", { kind: "grantPublish", userId: "alice", streamIds: null });
    await new Promise((r) => setTimeout(r, 10));
    release();
    await staleRead;
    expect((await pushed).value).toMatchObject({ reason: "PRIVILEGE_CHANGED", token: { canPublish: true, version: 1 } });
    await stream.return();
  });
});
