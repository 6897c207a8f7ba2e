import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnforcementWrite } from "../../src/enforcement/plan.js";
import type { ClaimedWork, EnforcementStore, NothingDue } from "../../src/enforcement/store.js";

/** Two stores over one backend (two "instances"), and the backend's teardown. */
export interface EnforcementStoreHarness {
  stores(): Promise<[EnforcementStore, EnforcementStore]>;
  close(): Promise<void>;
}

const NO_OPS = { allowed: [], anyUsers: [], ban: [], unban: [], bounce: [], dropLive: [], kick: [], rules: [] } as const;
const write = (w: Partial<EnforcementWrite> & { version: number }): EnforcementWrite => ({ ...NO_OPS, ...w });
const T0 = 1_800_000_000_000;

function claimed(r: ClaimedWork | NothingDue): ClaimedWork {
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

    it("a rejected batch is split: each item is claimed alone, confirmed bans shown, rejected ones dropped", async () => {
      await a.commit("e-split-x", 0, write({ version: 1, ban: [{ streamId: "e-split-bad", userId: "ux" }] }), null, T0);
      await b.commit("e-split-y", 0, write({ version: 1, ban: [{ streamId: "e-split-ok", userId: "uy" }, { streamId: "e-split-ok2", userId: "uy" }] }), null, T0);
      const batch = claimed(await a.claim("media", 20, T0 + 1, 5000, "t"));
      expect(batch.items.map((i) => i.id).sort()).toEqual(["e-split-bad", "e-split-ok", "e-split-ok2"]);
      await a.settle(batch, { kind: "split" }, T0 + 2);
      const singles: ClaimedWork[] = [];
      for (let i = 0; i < 3; i++) singles.push(claimed(await (i % 2 === 0 ? b : a).claim("media", 20, T0 + 3, 5000, `s${i}`)));
      expect(singles.map((w) => w.items.length)).toEqual([1, 1, 1]);
      expect(singles.map((w) => w.items[0]?.id).sort()).toEqual(["e-split-bad", "e-split-ok", "e-split-ok2"]);
      expect(await a.claim("media", 20, T0 + 3, 5000, "none")).toMatchObject({ nextDueMs: T0 + 3 + 5000 });
      for (const w of singles) await b.settle(w, w.items[0]?.id === "e-split-bad" ? { kind: "drop" } : { kind: "done" }, T0 + 4);
      expect(await a.backlog()).toBe(0);
      expect((await a.view("e-split-y")).bannedStreamIds).toEqual(["e-split-ok", "e-split-ok2"]);
      expect((await b.view("e-split-x")).bannedStreamIds).toEqual([]);
      // Once confirmed, an item goes back to batching with others.
      await a.commit("e-split-y", 1, write({ version: 2, unban: ["e-split-ok", "e-split-ok2"] }), null, T0 + 5);
      const resume = claimed(await a.claim("media", 20, T0 + 6, 5000, "r"));
      expect(resume.items).toHaveLength(2);
      await b.settle(resume, { kind: "done" }, T0 + 7);
      expect(await a.backlog()).toBe(0);
    });

    it("a rejected kick batch is split too", async () => {
      await a.commit("e-ksplit", 0, write({ version: 1, kick: [{ userId: "ks1", reason: "removed" }, { userId: "ks2", reason: "removed" }] }), null, T0);
      const batch = claimed(await a.claim("room", 5, T0 + 1, 5000, "k"));
      expect(batch.items).toHaveLength(2);
      await b.settle(batch, { kind: "split" }, T0 + 2);
      const one = claimed(await b.claim("room", 5, T0 + 3, 5000, "k1"));
      const two = claimed(await a.claim("room", 5, T0 + 3, 5000, "k2"));
      expect([one.items.length, two.items.length]).toEqual([1, 1]);
      await a.settle(one, { kind: "drop" }, T0 + 4);
      await a.settle(two, { kind: "done" }, T0 + 4);
      expect(await b.backlog()).toBe(0);
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

    it("uses a callback nonce up once across instances, shared with stream records", async () => {
      expect(await a.useNonce("2:n1", T0)).toBe("fresh");
      expect(await b.useNonce("2:n1", T0 + 1)).toBe("replayed");
      // A nonce used by an ignored event cannot carry a stream event later, nor the other way round.
      const ev = { kind: "create" as const, roomId: "e-nonce", userId: "pub", streamId: "e-nonce-s", atMs: T0 };
      expect(await b.recordStream(ev, "2:n1", T0 + 2)).toBe("replayed");
      expect(await a.recordStream(ev, "2:n2", T0 + 2)).toBe("recorded");
      expect(await b.useNonce("2:n2", T0 + 3)).toBe("replayed");
      expect((await a.view("e-nonce")).liveStreams).toHaveLength(1);
    });

    it("queues kicks outside a room change, de-duplicated with pending ones", async () => {
      await a.enqueueKicks("e-lk", [{ userId: "lk1", reason: "login" }], T0);
      await b.enqueueKicks("e-lk", [{ userId: "lk1", reason: "login" }, { userId: "lk2", reason: "login" }], T0 + 1);
      const work = claimed(await b.claim("room", 5, T0 + 2, 5000, "lk"));
      expect(work).toMatchObject({ action: "kick", roomId: "e-lk" });
      expect(work.items.map((i) => i.id).sort()).toEqual(["lk1", "lk2"]);
      await a.settle(work, { kind: "done" }, T0 + 3);
      expect(await a.claim("room", 5, T0 + 4, 5000, "lk2")).toEqual({ nextDueMs: null });
    });

    it("user rules: set with privileges and lifetime, counted in force while in flight, lifted by a delete", async () => {
      const until = T0 + 60_000;
      await a.commit("e-rule", 0, write({ version: 1, rules: [{ userId: "ru1", privileges: 1, untilMs: until }] }), null, T0);
      expect((await b.read("e-rule")).rules).toEqual([{ userId: "ru1", privileges: 1, untilMs: until }]);
      const set = claimed(await b.claim("rule", 1, T0 + 1, 5000, "r1"));
      expect(set).toMatchObject({ lane: "rule", action: "set_rule", roomId: "e-rule", items: [{ id: "ru1", roomId: "e-rule", rule: { privileges: 1, untilMs: until } }] });
      expect(await a.rulesInForce(T0 + 1)).toBe(1);
      expect(await a.claim("rule", 1, T0 + 2, 5000, "r2")).toEqual({ nextDueMs: T0 + 1 + 5000 });
      await a.settle(set, { kind: "done" }, T0 + 3);
      expect(await b.claim("rule", 1, T0 + 4, 5000, "r3")).toEqual({ nextDueMs: null });
      // Extending the lifetime sets it again; adding a privilege too.
      await b.commit("e-rule", 1, write({ version: 2, rules: [{ userId: "ru1", privileges: 3, untilMs: until + 1000 }] }), null, T0 + 5);
      const again = claimed(await a.claim("rule", 1, T0 + 6, 5000, "r4"));
      expect(again.items[0]?.rule).toEqual({ privileges: 3, untilMs: until + 1000 });
      await b.settle(again, { kind: "done" }, T0 + 7);
      expect(await a.unliftedRules("e-rule", ["ru1"], T0 + 8)).toEqual([]);
      // Lifting the publish bit deletes the rule first, then sets the login bit again.
      await a.commit("e-rule", 2, write({ version: 3, rules: [{ userId: "ru1", privileges: 1, untilMs: until + 1000 }] }), null, T0 + 8);
      expect(await b.unliftedRules("e-rule", ["ru1", "nobody"], T0 + 9)).toEqual(["ru1"]);
      const del = claimed(await b.claim("rule", 1, T0 + 9, 5000, "r5"));
      expect(del).toMatchObject({ action: "del_rule", items: [{ id: "ru1" }] });
      await a.settle(del, { kind: "done" }, T0 + 10);
      expect(await b.unliftedRules("e-rule", ["ru1"], T0 + 11)).toEqual([]);
      expect(await b.rulesInForce(T0 + 11)).toBe(0);
      const reset = claimed(await b.claim("rule", 1, T0 + 11, 5000, "r6"));
      expect(reset).toMatchObject({ action: "set_rule", items: [{ rule: { privileges: 1 } }] });
      await b.settle(reset, { kind: "done" }, T0 + 12);
      // Granted again: the rule is deleted and forgotten.
      await b.commit("e-rule", 3, write({ version: 4, rules: [{ userId: "ru1", privileges: 0, untilMs: 0 }] }), null, T0 + 13);
      expect((await a.read("e-rule")).rules).toEqual([]);
      const lift = claimed(await a.claim("rule", 1, T0 + 14, 5000, "r7"));
      expect(lift.action).toBe("del_rule");
      await a.settle(lift, { kind: "done" }, T0 + 15);
      expect(await a.rulesInForce(T0 + 15)).toBe(0);
      expect(await b.backlog()).toBe(0);
    });

    it("user rules: never more than the cap in force; the next waits until one lapses; a rejected one is forgotten", async () => {
      const rules = [
        { userId: "c1", privileges: 1, untilMs: T0 + 10_000 },
        { userId: "c2", privileges: 2, untilMs: T0 + 12_000 },
        { userId: "c3", privileges: 1, untilMs: T0 + 20_000 },
      ];
      await a.commit("e-cap", 0, write({ version: 1, rules }), null, T0);
      for (const token of ["c1", "c2"]) await b.settle(claimed(await a.claim("rule", 1, T0 + 1, 5000, token, 2)), { kind: "done" }, T0 + 2);
      // Full: looks again in a second (a delete may free a slot), or when the first rule lapses.
      expect(await b.claim("rule", 1, T0 + 3, 5000, "full", 2)).toEqual({ nextDueMs: T0 + 1003 });
      expect(await b.claim("rule", 1, T0 + 9500, 5000, "full", 2)).toEqual({ nextDueMs: T0 + 10_000 });
      expect(await a.rulesInForce(T0 + 3)).toBe(2);
      const third = claimed(await b.claim("rule", 1, T0 + 10_000, 5000, "c3", 2));
      expect(third.items[0]?.id).toBe("c3");
      await a.settle(third, { kind: "drop" }, T0 + 10_001);
      expect(await b.rulesInForce(T0 + 10_001)).toBe(1);
      expect(await a.backlog()).toBe(0);
    });

    it("no foreign bans: an ID another room's allow-list names is bounced, not banned; naming a banned ID resumes it", async () => {
      await a.commit("e-own-y", 0, write({ version: 1, allowed: ["e-own-s"] }), null, T0);
      await b.recordStream({ kind: "create", roomId: "e-own-x", userId: "px", streamId: "e-own-s", atMs: T0 }, "3:n1", T0);
      const x = await a.read("e-own-x");
      expect(x.foreign).toEqual(["e-own-s"]);
      expect((await b.read("e-own-y")).foreign).toEqual([]);
      // Even a ban planned without knowing (a race with Y's grant) becomes a bounce.
      expect(await b.commit("e-own-x", x.revision, write({ version: 1, ban: [{ streamId: "e-own-s", userId: "px" }, { streamId: "e-own-u", userId: null }], dropLive: ["e-own-s"] }), null, T0 + 1)).toBe(true);
      const forbid = claimed(await a.claim("media", 20, T0 + 2, 5000, "o1"));
      expect(forbid.items.map((i) => i.id).sort()).toEqual(["e-own-s", "e-own-u"]);
      await b.settle(forbid, { kind: "done" }, T0 + 3);
      const resume = claimed(await b.claim("media", 20, T0 + 4, 5000, "o2"));
      expect(resume).toMatchObject({ action: "resume", items: [{ id: "e-own-s" }] });
      await a.settle(resume, { kind: "done" }, T0 + 5);
      expect((await a.view("e-own-x")).bannedStreamIds).toEqual(["e-own-u"]);
      // Y names the ID X banned: it belongs to Y now, and is resumed at once.
      await a.commit("e-own-y", 1, write({ version: 2, allowed: ["e-own-s", "e-own-u"] }), null, T0 + 6);
      expect(await b.unsettled(["e-own-u"])).toEqual(["e-own-u"]);
      const reopen = claimed(await b.claim("media", 20, T0 + 7, 5000, "o3"));
      expect(reopen).toMatchObject({ action: "resume", items: [{ id: "e-own-u" }] });
      await a.settle(reopen, { kind: "done" }, T0 + 8);
      expect((await a.view("e-own-x")).bannedStreamIds).toEqual([]);
      expect((await b.read("e-own-x")).foreign).toEqual(["e-own-u"]);
      // Y lets go of both: no longer foreign to X.
      await b.commit("e-own-y", 2, write({ version: 3, allowed: [] }), null, T0 + 9);
      expect((await a.read("e-own-x")).foreign).toEqual([]);
      expect(await a.backlog()).toBe(0);
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
  });
}
