import { describe, expect, it } from "vitest";
import { UnavailableError } from "../../src/errors/service-errors.js";
import { createEventBus } from "../../src/events/event-bus.js";
import type { BusTransport, TransportHandlers } from "../../src/events/transport.js";
import { silentLogger } from "../../src/log/logger.js";

/** A transport whose subscribes wait until the test confirms them, recording every call. */
function heldTransport() {
  const calls: string[] = [];
  const pending: Array<{ roomId: string; confirm: () => void; fail: (e: Error) => void }> = [];
  let handlers: TransportHandlers | undefined;
  const transport = (h: TransportHandlers): BusTransport => {
    handlers = h;
    return {
      async publish(roomId, message) {
        calls.push(`publish ${roomId}`);
        queueMicrotask(() => h.onMessage(roomId, message));
      },
      subscribe(roomId) {
        calls.push(`subscribe ${roomId}`);
        return new Promise((confirm, fail) => pending.push({ roomId, confirm: () => confirm(), fail }));
      },
      unsubscribe(roomId) {
        calls.push(`unsubscribe ${roomId}`);
      },
      async ping() {},
      async stop() {
        calls.push("stop");
      },
    };
  };
  return { transport, calls, pending, recovered: () => handlers?.onRecovered(), raw: (roomId: string, message: string) => handlers?.onMessage(roomId, message) };
}

describe("event bus over a transport", () => {
  it("subscribes a room's channel once, and resolves no listener before the transport confirmed it", async () => {
    const t = heldTransport();
    const bus = createEventBus({ transport: t.transport, logger: silentLogger });
    let resolved = 0;
    const first = bus.subscribe("r", () => undefined).then((u) => (resolved++, u));
    const second = bus.subscribe("r", () => undefined).then((u) => (resolved++, u));
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(0);
    expect(t.calls).toEqual(["subscribe r"]);
    t.pending[0]!.confirm();
    (await first)();
    expect(t.calls).toEqual(["subscribe r"]);
    (await second)();
    expect(t.calls).toEqual(["subscribe r", "unsubscribe r"]);
    expect(bus.listenerCount()).toBe(0);
  });

  it("refuses every waiting listener with UNAVAILABLE when the subscribe times out, and starts afresh next time", async () => {
    const t = heldTransport();
    const bus = createEventBus({ transport: t.transport, logger: silentLogger, subscribeTimeoutMs: 20 });
    const results = await Promise.allSettled([bus.subscribe("r", () => undefined), bus.subscribe("r", () => undefined)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(UnavailableError);
    expect(bus.listenerCount()).toBe(0);
    expect(t.calls).toEqual(["subscribe r", "unsubscribe r"]);
    const again = bus.subscribe("r", () => undefined);
    t.pending[1]!.confirm();
    (await again)();
    expect(t.calls).toEqual(["subscribe r", "unsubscribe r", "subscribe r", "unsubscribe r"]);
  });

  it("turns a failed subscribe into UNAVAILABLE", async () => {
    const t = heldTransport();
    const bus = createEventBus({ transport: t.transport, logger: silentLogger });
    const sub = bus.subscribe("r", () => undefined);
    t.pending[0]!.fail(new Error("connection reset"));
    await expect(sub).rejects.toBeInstanceOf(UnavailableError);
    expect(bus.listenerCount()).toBe(0);
  });

  it("drops malformed messages and runs resync listeners in isolation", async () => {
    const t = heldTransport();
    const bus = createEventBus({ transport: t.transport, logger: silentLogger });
    const got: number[] = [];
    const sub = bus.subscribe("r", (e) => got.push(e.version));
    t.pending[0]!.confirm();
    await sub;
    await bus.publish({ roomId: "r", userIds: null, version: 4 });
    t.raw("r", "not json");
    t.raw("r", JSON.stringify({ roomId: "other", userIds: null, version: 5 }));
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([4]);
    let resynced = 0;
    bus.onResync(() => {
      throw new Error("boom");
    });
    bus.onResync(() => resynced++);
    t.recovered();
    expect(resynced).toBe(1);
    await bus.stop();
    expect(t.calls.at(-1)).toBe("stop");
    expect(bus.listenerCount()).toBe(0);
  });
});
