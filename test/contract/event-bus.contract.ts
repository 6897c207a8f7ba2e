import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventBus, RoomEvent } from "../../src/events/bus.js";
import { eventually } from "../helpers/server.js";

/** Creates two buses over one backend (two "instances"), and tears the backend down. */
export interface BusHarness {
  buses(): Promise<[EventBus, EventBus]>;
  close(): Promise<void>;
}

/** The behaviour every EventBus must have. */
export function describeEventBusContract(name: string, harness: () => Promise<BusHarness>): void {
  describe(`EventBus contract: ${name}`, () => {
    let h: BusHarness;
    let a: EventBus;
    let b: EventBus;
    beforeAll(async () => {
      h = await harness();
      [a, b] = await h.buses();
    });
    afterAll(async () => {
      await h.close();
    });

    it("delivers an event published on one instance to the room's listeners on another, intact", async () => {
      const got: RoomEvent[] = [];
      const other: RoomEvent[] = [];
      const stop = await b.subscribe("e-room", (e) => got.push(e));
      const stopOther = await b.subscribe("e-other", (e) => other.push(e));
      await a.publish({ roomId: "e-room", userIds: ["u1", "u2"], version: 7 });
      await a.publish({ roomId: "e-room", userIds: null, version: 8 });
      await eventually(() => got.length === 2, 3000, "two events");
      expect(got).toEqual([
        { roomId: "e-room", userIds: ["u1", "u2"], version: 7 },
        { roomId: "e-room", userIds: null, version: 8 },
      ]);
      expect(other).toEqual([]);
      stop();
      stopOther();
    });

    it("stops delivering after unsubscribe, and counts listeners", async () => {
      const got: RoomEvent[] = [];
      const base = b.listenerCount();
      const stop1 = await b.subscribe("e-unsub", (e) => got.push(e));
      const stop2 = await b.subscribe("e-unsub", (e) => got.push(e));
      expect(b.listenerCount()).toBe(base + 2);
      stop1();
      stop1();
      expect(b.listenerCount()).toBe(base + 1);
      await a.publish({ roomId: "e-unsub", userIds: null, version: 1 });
      await eventually(() => got.length === 1, 3000, "one event");
      stop2();
      expect(b.listenerCount()).toBe(base);
      await a.publish({ roomId: "e-unsub", userIds: null, version: 2 });
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(1);
    });

    it("isolates a throwing listener from the others", async () => {
      const got: number[] = [];
      const s1 = await b.subscribe("e-throw", () => {
        throw new Error("boom");
      });
      const s2 = await b.subscribe("e-throw", (e) => got.push(e.version));
      await a.publish({ roomId: "e-throw", userIds: null, version: 3 });
      await eventually(() => got.length === 1, 3000, "delivery despite a throwing listener");
      s1();
      s2();
    });

    it("resolves a room's second subscribe only once the room's channel is active", async () => {
      const got: string[] = [];
      const first = b.subscribe("e-concurrent", () => got.push("first"));
      const stopSecond = await b.subscribe("e-concurrent", () => got.push("second"));
      await a.publish({ roomId: "e-concurrent", userIds: null, version: 1 });
      await eventually(() => got.length === 2, 3000, "both listeners got the event published right after subscribing");
      expect(got.sort()).toEqual(["first", "second"]);
      stopSecond();
      (await first)();
    });

    it("resubscribes a room whose listeners all left", async () => {
      const got: number[] = [];
      (await b.subscribe("e-again", () => undefined))();
      const stop = await b.subscribe("e-again", (e) => got.push(e.version));
      await a.publish({ roomId: "e-again", userIds: null, version: 9 });
      await eventually(() => got.length === 1, 3000, "delivery after resubscribing");
      stop();
    });

    it("answers ping", async () => {
      await expect(a.ping()).resolves.toBeUndefined();
    });
  });
}
