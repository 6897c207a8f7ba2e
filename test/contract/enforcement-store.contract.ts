import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnforcementWrite } from "../../src/enforcement/plan.js";
import type { ClaimedWork, EnforcementStore, NothingDue } from "../../src/enforcement/store.js";
import { describeExactEnforcement } from "./enforcement-exact.contract.js";

/** Two stores over one backend (two "instances"), and the backend's teardown. */
export interface EnforcementStoreHarness {
  stores(): Promise<[EnforcementStore, EnforcementStore]>;
  close(): Promise<void>;
}

const NO_OPS = { allowed: [], anyUsers: [], ban: [], unban: [], bounce: [], dropLive: [], kick: [], rules: [] } as const;
/** A write with no work but what is given. */
export const write = (w: Partial<EnforcementWrite> & { version: number }): EnforcementWrite => ({ ...NO_OPS, ...w });
/** The contract's clock origin. */
export const T0 = 1_800_000_000_000;

/** The claimed work, or a failure saying when the next item is due. */
export function claimed(r: ClaimedWork | NothingDue): ClaimedWork {
  if (!("items" in r)) throw new Error(`nothing claimed (next due ${String(r.nextDueMs)})`);
  return r;
}

/** The behaviour every EnforcementStore must have. */
export function describeEnforcementStoreContract(name: string, harness: () => Promise<EnforcementStoreHarness>): void {
  describe(`EnforcementStore contract: ${name}`, () => {
    let h: EnforcementStoreHarness;
    let a: EnforcementStore;
    let b: EnforcementStore;
    beforeAll(async () => {
      h = await harness();
      [a, b] = await h.stores();
    });
    afterAll(async () => {
      await h.close();
    });

    it("reads an unknown room as the empty record", async () => {
      expect(await a.read("e-none")).toEqual({ revision: 0, version: -1, allowed: [], anyUsers: [], banned: [], live: [], rules: [], foreign: [] });
    });

    it("commits only on the expected revision; a ban becomes forbid work, settled once ZEGO answers", async () => {
      expect(await a.commit("e-ban", 5, write({ version: 1 }), null, T0)).toBe(false);
      expect(await a.commit("e-ban", 0, write({ version: 1, allowed: ["x"], ban: [{ streamId: "e-ban-s1", userId: "u1" }, { streamId: "e-ban-s2", userId: null }] }), null, T0)).toBe(true);
      const rec = await b.read("e-ban");
      expect(rec).toMatchObject({ revision: 1, version: 1, allowed: ["x"], anyUsers: [] });
      expect([...rec.banned].sort((x, y) => (x.streamId < y.streamId ? -1 : 1))).toEqual([
        { streamId: "e-ban-s1", userId: "u1" },
        { streamId: "e-ban-s2", userId: null },
      ]);
      expect(await a.commit("e-ban", 0, write({ version: 2 }), null, T0)).toBe(false);
      expect(await a.backlog()).toBe(2);
      expect(await a.unsettled(["e-ban-s1", "e-ban-s2", "other"])).toEqual(["e-ban-s1", "e-ban-s2"]);
      // Wanted is not shown as banned until ZEGO confirmed it.
      expect((await b.view("e-ban")).bannedStreamIds).toEqual([]);
      const work = claimed(await b.claim("media", 20, T0 + 1, 5000, "t1"));
      expect(work.action).toBe("forbid");
      expect(work.items.map((i) => i.id).sort()).toEqual(["e-ban-s1", "e-ban-s2"]);
      expect(work.items[0]).toMatchObject({ roomId: "e-ban", enqueuedAtMs: T0, attempts: 0 });
      expect(await a.claim("media", 20, T0 + 2, 5000, "t2")).toEqual({ nextDueMs: T0 + 1 + 5000 });
      await a.settle(work, { kind: "done" }, T0 + 3);
      expect(await a.unsettled(["e-ban-s1", "e-ban-s2"])).toEqual([]);
      expect(await b.backlog()).toBe(0);
      expect(await b.view("e-ban")).toEqual({ liveStreams: [], bannedStreamIds: ["e-ban-s1", "e-ban-s2"] });
    });

    it("a later unban cancels a pending forbid; after an applied forbid it becomes a resume", async () => {
      await a.commit("e-cancel", 0, write({ version: 1, ban: [{ streamId: "e-cancel-s", userId: null }] }), null, T0);
      await b.commit("e-cancel", 1, write({ version: 2, unban: ["e-cancel-s"] }), null, T0);
      expect(await a.claim("media", 20, T0 + 10, 5000, "t")).toEqual({ nextDueMs: null });
      expect(await a.read("e-cancel")).toMatchObject({ banned: [] });

      await a.commit("e-resume", 0, write({ version: 1, ban: [{ streamId: "e-resume-s", userId: null }] }), null, T0);
      await a.settle(claimed(await a.claim("media", 20, T0, 5000, "t")), { kind: "done" }, T0);
      await b.commit("e-resume", 1, write({ version: 2, unban: ["e-resume-s"] }), null, T0 + 5);
      expect(await a.unsettled(["e-resume-s"])).toEqual(["e-resume-s"]);
      const work = claimed(await b.claim("media", 20, T0 + 6, 5000, "t2"));
      expect(work).toMatchObject({ action: "resume", items: [{ id: "e-resume-s", enqueuedAtMs: T0 + 5 }] });
      await b.settle(work, { kind: "done" }, T0 + 7);
      expect(await a.unsettled(["e-resume-s"])).toEqual([]);
      expect(await a.backlog()).toBe(0);
    });

    it("an unban while a forbid is in flight resumes afterwards (the forbid may have landed)", async () => {
      await a.commit("e-flight", 0, write({ version: 1, ban: [{ streamId: "e-flight-s", userId: null }] }), null, T0);
      const forbid = claimed(await a.claim("media", 20, T0, 5000, "t"));
      await b.commit("e-flight", 1, write({ version: 2, unban: ["e-flight-s"] }), null, T0 + 1);
      await a.settle(forbid, { kind: "retry", dueMs: T0 + 2 }, T0 + 1);
      const next = claimed(await b.claim("media", 20, T0 + 2, 5000, "t2"));
      expect(next).toMatchObject({ action: "resume", items: [{ id: "e-flight-s", attempts: 1 }] });
      await b.settle(next, { kind: "done" }, T0 + 3);
      expect(await a.backlog()).toBe(0);
    });

    it("bounce: forbids a live stream, then resumes it for its new owner", async () => {
      await a.commit("e-bounce", 0, write({ version: 1, bounce: ["e-bounce-s"] }), null, T0);
      const forbid = claimed(await a.claim("media", 20, T0, 5000, "t"));
      expect(forbid.action).toBe("forbid");
      await a.settle(forbid, { kind: "done" }, T0 + 1);
      const resume = claimed(await b.claim("media", 20, T0 + 1, 5000, "t2"));
      expect(resume.action).toBe("resume");
      expect(resume.sequence).toBeGreaterThan(forbid.sequence);
      await b.settle(resume, { kind: "done" }, T0 + 2);
      expect(await a.unsettled(["e-bounce-s"])).toEqual([]);
    });

    it("batches up to the maximum, one action per call; the rest is claimed by the other instance", async () => {
      const ban = Array.from({ length: 25 }, (_, i) => ({ streamId: `e-batch-${String(i).padStart(2, "0")}`, userId: null }));
      await a.commit("e-batch", 0, write({ version: 1, ban }), null, T0);
      const first = claimed(await a.claim("media", 20, T0, 5000, "t1"));
      const second = claimed(await b.claim("media", 20, T0, 5000, "t2"));
      expect(first.items).toHaveLength(20);
      expect(second.items).toHaveLength(5);
      expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(25);
      expect(second.sequence).toBeGreaterThan(first.sequence);
      await Promise.all([a.settle(first, { kind: "done" }, T0 + 1), b.settle(second, { kind: "done" }, T0 + 1)]);
      expect(await a.backlog()).toBe(0);
    });

    it("an expired lease is claimed again; the first holder's late settle is ignored", async () => {
      await a.commit("e-lease", 0, write({ version: 1, ban: [{ streamId: "e-lease-s", userId: null }] }), null, T0);
      const first = claimed(await a.claim("media", 20, T0, 100, "dead"));
      expect(await b.claim("media", 20, T0 + 50, 100, "x")).toEqual({ nextDueMs: T0 + 100 });
      const second = claimed(await b.claim("media", 20, T0 + 150, 100, "alive"));
      expect(second.items.map((i) => i.id)).toEqual(["e-lease-s"]);
      await a.settle(first, { kind: "retry", dueMs: T0 + 10_000 }, T0 + 160);
      await b.settle(second, { kind: "done" }, T0 + 170);
      expect(await a.backlog()).toBe(0);
      expect(await a.unsettled(["e-lease-s"])).toEqual([]);
    });

    it("retries wait until due; drop forgets the item", async () => {
      await a.commit("e-retry", 0, write({ version: 1, ban: [{ streamId: "e-retry-s", userId: null }] }), null, T0);
      await a.settle(claimed(await a.claim("media", 20, T0, 5000, "t")), { kind: "retry", dueMs: T0 + 400 }, T0 + 1);
      expect(await b.claim("media", 20, T0 + 399, 5000, "t2")).toEqual({ nextDueMs: T0 + 400 });
      const again = claimed(await b.claim("media", 20, T0 + 400, 5000, "t3"));
      expect(again.items[0]?.attempts).toBe(1);
      await b.settle(again, { kind: "drop" }, T0 + 401);
      expect(await a.backlog()).toBe(0);
    });

    it("kicks: one room per call, at most the maximum users, de-duplicated while pending", async () => {
      const kick = Array.from({ length: 7 }, (_, i) => ({ userId: `ku${i}`, reason: "removed" as const }));
      await a.commit("e-kick1", 0, write({ version: 1, kick }), null, T0);
      await a.commit("e-kick1", 1, write({ version: 2, kick: [{ userId: "ku0", reason: "removed" }] }), null, T0 + 1);
      await a.commit("e-kick2", 0, write({ version: 1, kick: [{ userId: "ku0", reason: "no_access" }] }), null, T0 + 2);
      expect(await a.backlog()).toBe(8);
      const first = claimed(await b.claim("room", 5, T0 + 3, 5000, "k1"));
      expect(first).toMatchObject({ action: "kick", roomId: "e-kick1" });
      expect(first.items).toHaveLength(5);
      const rest = [claimed(await a.claim("room", 5, T0 + 3, 5000, "k2")), claimed(await a.claim("room", 5, T0 + 3, 5000, "k3"))];
      expect(rest.map((w) => [w.roomId, w.items.length])).toEqual(expect.arrayContaining([["e-kick1", 2], ["e-kick2", 1]]));
      for (const w of [first, ...rest]) await a.settle(w, { kind: "done" }, T0 + 4);
      expect(await b.backlog()).toBe(0);
    });

    it("records live streams from callbacks, refusing replays and late out-of-order deliveries", async () => {
      const ev = (kind: "create" | "close", streamId: string, atMs: number) => ({ kind, roomId: "e-live", userId: "pub", streamId, atMs });
      expect(await a.recordStream(ev("create", "e-live-s1", T0), "1:n1", T0)).toBe("recorded");
      expect(await b.recordStream(ev("create", "e-live-s1", T0), "1:n1", T0)).toBe("replayed");
      expect(await b.recordStream(ev("create", "e-live-s2", T0 + 5), "1:n2", T0)).toBe("recorded");
      expect((await a.view("e-live")).liveStreams).toEqual([
        { streamId: "e-live-s1", userId: "pub", sinceMs: T0 },
        { streamId: "e-live-s2", userId: "pub", sinceMs: T0 + 5 },
      ]);
      // A close of an older publish does not end a newer one; a create older than the last close is ignored.
      await a.recordStream(ev("close", "e-live-s2", T0 + 1), "1:n3", T0);
      await a.recordStream(ev("close", "e-live-s1", T0 + 10), "1:n4", T0);
      await a.recordStream(ev("create", "e-live-s1", T0 + 9), "1:n5", T0);
      const rec = await b.read("e-live");
      expect(rec.live).toEqual([{ streamId: "e-live-s2", userId: "pub", sinceMs: T0 + 5 }]);
      expect(rec.revision).toBe(5);
      expect(await a.commit("e-live", 5, write({ version: 3, dropLive: ["e-live-s2"] }), null, T0)).toBe(true);
      expect((await b.read("e-live")).live).toEqual([]);
    });

    it("intents: listed once stale, cleared only by the commit holding the latest ticket", async () => {
      const t1 = await a.intend("e-intent", T0);
      const t2 = await b.intend("e-intent", T0 + 1);
      expect(t2).toBeGreaterThan(t1);
      expect(await a.staleIntents(T0 + 1, 10)).toEqual([]);
      expect(await a.staleIntents(T0 + 2, 10)).toContainEqual({ roomId: "e-intent", ticket: t2 });
      await a.commit("e-intent", 0, write({ version: 1 }), t1, T0 + 3);
      expect(await b.staleIntents(T0 + 10, 10)).toContainEqual({ roomId: "e-intent", ticket: t2 });
      await a.commit("e-intent", 1, write({ version: 2 }), t2, T0 + 4);
      expect(await b.staleIntents(T0 + 10, 10)).not.toContainEqual(expect.objectContaining({ roomId: "e-intent" }));
    });

    it("paces calls evenly, shared by the instances, never more than the limit in any second", async () => {
      for (const [lane, limit, start] of [["media", 20, T0 + 1_000_000], ["room", 5, T0 + 2_000_000]] as const) {
        expect(await a.acquire(lane, limit, start)).toBe(0);
        expect(await b.acquire(lane, limit, start)).toBe(0);
        expect(await a.acquire(lane, limit, start)).toBeGreaterThan(0);
        // Two instances asking every 5 ms for 3 s.
        const granted: number[] = [start, start];
        for (let now = start + 5; now < start + 3000; now += 5) {
          if ((await (now % 10 === 0 ? a : b).acquire(lane, limit, now)) === 0) granted.push(now);
        }
        for (const t of granted) expect(granted.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(limit);
        expect(granted.length).toBeGreaterThanOrEqual(Math.floor(3 * limit * 0.9));
      }
    });

    describeExactEnforcement({
      get a() {
        return a;
      },
      get b() {
        return b;
      },
    });
  });
}
