import { describe, expect, it } from "vitest";
import type { ClaimedWork, EnforcementStore } from "../../src/enforcement/store.js";
import { claimed, T0, write } from "./enforcement-store.contract.js";

/**
 * Exact enforcement every EnforcementStore must have (nonces, kicks outside changes, split batches,
 * user rules, stream ownership); run inside the store contract, on its two stores.
 */
export function describeExactEnforcement(s: { readonly a: EnforcementStore; readonly b: EnforcementStore }): void {
  describe("exact enforcement", () => {
    it("a rejected batch is split: each item is claimed alone, confirmed bans shown, rejected ones dropped", async () => {
      await s.a.commit("e-split-x", 0, write({ version: 1, ban: [{ streamId: "e-split-bad", userId: "ux" }] }), null, T0);
      await s.b.commit("e-split-y", 0, write({ version: 1, ban: [{ streamId: "e-split-ok", userId: "uy" }, { streamId: "e-split-ok2", userId: "uy" }] }), null, T0);
      const batch = claimed(await s.a.claim("media", 20, T0 + 1, 5000, "t"));
      expect(batch.items.map((i) => i.id).sort()).toEqual(["e-split-bad", "e-split-ok", "e-split-ok2"]);
      await s.a.settle(batch, { kind: "split" }, T0 + 2);
      const singles: ClaimedWork[] = [];
      for (let i = 0; i < 3; i++) singles.push(claimed(await (i % 2 === 0 ? s.b : s.a).claim("media", 20, T0 + 3, 5000, `s${i}`)));
      expect(singles.map((w) => w.items.length)).toEqual([1, 1, 1]);
      expect(singles.map((w) => w.items[0]?.id).sort()).toEqual(["e-split-bad", "e-split-ok", "e-split-ok2"]);
      expect(await s.a.claim("media", 20, T0 + 3, 5000, "none")).toMatchObject({ nextDueMs: T0 + 3 + 5000 });
      for (const w of singles) await s.b.settle(w, w.items[0]?.id === "e-split-bad" ? { kind: "drop" } : { kind: "done" }, T0 + 4);
      expect(await s.a.backlog()).toBe(0);
      expect((await s.a.view("e-split-y")).bannedStreamIds).toEqual(["e-split-ok", "e-split-ok2"]);
      expect((await s.b.view("e-split-x")).bannedStreamIds).toEqual([]);
      // Once confirmed, an item goes back to batching with others.
      await s.a.commit("e-split-y", 1, write({ version: 2, unban: ["e-split-ok", "e-split-ok2"] }), null, T0 + 5);
      const resume = claimed(await s.a.claim("media", 20, T0 + 6, 5000, "r"));
      expect(resume.items).toHaveLength(2);
      await s.b.settle(resume, { kind: "done" }, T0 + 7);
      expect(await s.a.backlog()).toBe(0);
    });

    it("a rejected kick batch is split too", async () => {
      await s.a.commit("e-ksplit", 0, write({ version: 1, kick: [{ userId: "ks1", reason: "removed" }, { userId: "ks2", reason: "removed" }] }), null, T0);
      const batch = claimed(await s.a.claim("room", 5, T0 + 1, 5000, "k"));
      expect(batch.items).toHaveLength(2);
      await s.b.settle(batch, { kind: "split" }, T0 + 2);
      const one = claimed(await s.b.claim("room", 5, T0 + 3, 5000, "k1"));
      const two = claimed(await s.a.claim("room", 5, T0 + 3, 5000, "k2"));
      expect([one.items.length, two.items.length]).toEqual([1, 1]);
      await s.a.settle(one, { kind: "drop" }, T0 + 4);
      await s.a.settle(two, { kind: "done" }, T0 + 4);
      expect(await s.b.backlog()).toBe(0);
    });

    it("uses a callback nonce up once across instances, shared with stream records", async () => {
      expect(await s.a.useNonce("2:n1", T0)).toBe("fresh");
      expect(await s.b.useNonce("2:n1", T0 + 1)).toBe("replayed");
      // A nonce used by an ignored event cannot carry a stream event later, nor the other way round.
      const ev = { kind: "create" as const, roomId: "e-nonce", userId: "pub", streamId: "e-nonce-s", atMs: T0 };
      expect(await s.b.recordStream(ev, "2:n1", T0 + 2)).toBe("replayed");
      expect(await s.a.recordStream(ev, "2:n2", T0 + 2)).toBe("recorded");
      expect(await s.b.useNonce("2:n2", T0 + 3)).toBe("replayed");
      expect((await s.a.view("e-nonce")).liveStreams).toHaveLength(1);
    });

    it("queues kicks outside a room change, de-duplicated with pending ones", async () => {
      await s.a.enqueueKicks("e-lk", [{ userId: "lk1", reason: "login" }], T0);
      await s.b.enqueueKicks("e-lk", [{ userId: "lk1", reason: "login" }, { userId: "lk2", reason: "login" }], T0 + 1);
      const work = claimed(await s.b.claim("room", 5, T0 + 2, 5000, "lk"));
      expect(work).toMatchObject({ action: "kick", roomId: "e-lk" });
      expect(work.items.map((i) => i.id).sort()).toEqual(["lk1", "lk2"]);
      await s.a.settle(work, { kind: "done" }, T0 + 3);
      expect(await s.a.claim("room", 5, T0 + 4, 5000, "lk2")).toEqual({ nextDueMs: null });
    });

    it("user rules: set with privileges and lifetime, counted in force while in flight, lifted by a delete", async () => {
      const until = T0 + 60_000;
      await s.a.commit("e-rule", 0, write({ version: 1, rules: [{ userId: "ru1", privileges: 1, untilMs: until }] }), null, T0);
      expect((await s.b.read("e-rule")).rules).toEqual([{ userId: "ru1", privileges: 1, untilMs: until }]);
      const set = claimed(await s.b.claim("rule", 1, T0 + 1, 5000, "r1"));
      expect(set).toMatchObject({ lane: "rule", action: "set_rule", roomId: "e-rule", items: [{ id: "ru1", roomId: "e-rule", rule: { privileges: 1, untilMs: until } }] });
      expect(await s.a.rulesInForce(T0 + 1)).toBe(1);
      expect(await s.a.claim("rule", 1, T0 + 2, 5000, "r2")).toEqual({ nextDueMs: T0 + 1 + 5000 });
      await s.a.settle(set, { kind: "done" }, T0 + 3);
      expect(await s.b.claim("rule", 1, T0 + 4, 5000, "r3")).toEqual({ nextDueMs: null });
      // Extending the lifetime sets it again; adding a privilege too.
      await s.b.commit("e-rule", 1, write({ version: 2, rules: [{ userId: "ru1", privileges: 3, untilMs: until + 1000 }] }), null, T0 + 5);
      const again = claimed(await s.a.claim("rule", 1, T0 + 6, 5000, "r4"));
      expect(again.items[0]?.rule).toEqual({ privileges: 3, untilMs: until + 1000 });
      await s.b.settle(again, { kind: "done" }, T0 + 7);
      expect(await s.a.unliftedRules("e-rule", ["ru1"], T0 + 8)).toEqual([]);
      // Lifting the publish bit deletes the rule first, then sets the login bit again.
      await s.a.commit("e-rule", 2, write({ version: 3, rules: [{ userId: "ru1", privileges: 1, untilMs: until + 1000 }] }), null, T0 + 8);
      expect(await s.b.unliftedRules("e-rule", ["ru1", "nobody"], T0 + 9)).toEqual(["ru1"]);
      const del = claimed(await s.b.claim("rule", 1, T0 + 9, 5000, "r5"));
      expect(del).toMatchObject({ action: "del_rule", items: [{ id: "ru1" }] });
      await s.a.settle(del, { kind: "done" }, T0 + 10);
      expect(await s.b.unliftedRules("e-rule", ["ru1"], T0 + 11)).toEqual([]);
      expect(await s.b.rulesInForce(T0 + 11)).toBe(0);
      const reset = claimed(await s.b.claim("rule", 1, T0 + 11, 5000, "r6"));
      expect(reset).toMatchObject({ action: "set_rule", items: [{ rule: { privileges: 1 } }] });
      await s.b.settle(reset, { kind: "done" }, T0 + 12);
      // Granted again: the rule is deleted and forgotten.
      await s.b.commit("e-rule", 3, write({ version: 4, rules: [{ userId: "ru1", privileges: 0, untilMs: 0 }] }), null, T0 + 13);
      expect((await s.a.read("e-rule")).rules).toEqual([]);
      const lift = claimed(await s.a.claim("rule", 1, T0 + 14, 5000, "r7"));
      expect(lift.action).toBe("del_rule");
      await s.a.settle(lift, { kind: "done" }, T0 + 15);
      expect(await s.a.rulesInForce(T0 + 15)).toBe(0);
      expect(await s.b.backlog()).toBe(0);
    });

    it("user rules: never more than the cap in force; the next waits until one lapses; a rejected one is forgotten", async () => {
      const rules = [
        { userId: "c1", privileges: 1, untilMs: T0 + 10_000 },
        { userId: "c2", privileges: 2, untilMs: T0 + 12_000 },
        { userId: "c3", privileges: 1, untilMs: T0 + 20_000 },
      ];
      await s.a.commit("e-cap", 0, write({ version: 1, rules }), null, T0);
      for (const token of ["c1", "c2"]) await s.b.settle(claimed(await s.a.claim("rule", 1, T0 + 1, 5000, token, 2)), { kind: "done" }, T0 + 2);
      // Full: looks again in a second (a delete may free a slot), or when the first rule lapses.
      expect(await s.b.claim("rule", 1, T0 + 3, 5000, "full", 2)).toEqual({ nextDueMs: T0 + 1003 });
      expect(await s.b.claim("rule", 1, T0 + 9500, 5000, "full", 2)).toEqual({ nextDueMs: T0 + 10_000 });
      expect(await s.a.rulesInForce(T0 + 3)).toBe(2);
      const third = claimed(await s.b.claim("rule", 1, T0 + 10_000, 5000, "c3", 2));
      expect(third.items[0]?.id).toBe("c3");
      await s.a.settle(third, { kind: "drop" }, T0 + 10_001);
      expect(await s.b.rulesInForce(T0 + 10_001)).toBe(1);
      expect(await s.a.backlog()).toBe(0);
    });

    it("no foreign bans: an ID another room's allow-list names is bounced, not banned; naming a banned ID resumes it", async () => {
      await s.a.commit("e-own-y", 0, write({ version: 1, allowed: ["e-own-s"] }), null, T0);
      await s.b.recordStream({ kind: "create", roomId: "e-own-x", userId: "px", streamId: "e-own-s", atMs: T0 }, "3:n1", T0);
      const x = await s.a.read("e-own-x");
      expect(x.foreign).toEqual(["e-own-s"]);
      expect((await s.b.read("e-own-y")).foreign).toEqual([]);
      // Even a ban planned without knowing (a race with Y's grant) becomes a bounce.
      expect(await s.b.commit("e-own-x", x.revision, write({ version: 1, ban: [{ streamId: "e-own-s", userId: "px" }, { streamId: "e-own-u", userId: null }], dropLive: ["e-own-s"] }), null, T0 + 1)).toBe(true);
      const forbid = claimed(await s.a.claim("media", 20, T0 + 2, 5000, "o1"));
      expect(forbid.items.map((i) => i.id).sort()).toEqual(["e-own-s", "e-own-u"]);
      await s.b.settle(forbid, { kind: "done" }, T0 + 3);
      const resume = claimed(await s.b.claim("media", 20, T0 + 4, 5000, "o2"));
      expect(resume).toMatchObject({ action: "resume", items: [{ id: "e-own-s" }] });
      await s.a.settle(resume, { kind: "done" }, T0 + 5);
      expect((await s.a.view("e-own-x")).bannedStreamIds).toEqual(["e-own-u"]);
      // Y names the ID X banned: it belongs to Y now, and is resumed at once.
      await s.a.commit("e-own-y", 1, write({ version: 2, allowed: ["e-own-s", "e-own-u"] }), null, T0 + 6);
      expect(await s.b.unsettled(["e-own-u"])).toEqual(["e-own-u"]);
      const reopen = claimed(await s.b.claim("media", 20, T0 + 7, 5000, "o3"));
      expect(reopen).toMatchObject({ action: "resume", items: [{ id: "e-own-u" }] });
      await s.a.settle(reopen, { kind: "done" }, T0 + 8);
      expect((await s.a.view("e-own-x")).bannedStreamIds).toEqual([]);
      expect((await s.b.read("e-own-x")).foreign).toEqual(["e-own-u"]);
      // Y lets go of both: no longer foreign to X.
      await s.b.commit("e-own-y", 2, write({ version: 3, allowed: [] }), null, T0 + 9);
      expect((await s.a.read("e-own-x")).foreign).toEqual([]);
      expect(await s.a.backlog()).toBe(0);
    });

    it("adopts rules ZEGO lists that it does not know: counted, wanted as they are, lifted by a delete", async () => {
      const listed = [
        { roomId: "e-adopt", userId: "ad1", privileges: 1, untilMs: T0 + 60_000 },
        { roomId: "e-adopt2", userId: "ad2", privileges: 3, untilMs: T0 + 60_000 },
        { roomId: "e-adopt", userId: "old", privileges: 1, untilMs: T0 - 1 },
      ];
      const before = await s.a.rulesInForce(T0);
      expect(await s.a.adoptRules(listed, T0)).toBe(2);
      expect(await s.b.adoptRules(listed, T0)).toBe(0);
      expect(await s.b.rulesInForce(T0)).toBe(before + 2);
      expect((await s.b.read("e-adopt")).rules).toEqual([{ userId: "ad1", privileges: 1, untilMs: T0 + 60_000 }]);
      expect(await s.a.claim("rule", 1, T0 + 1, 5000, "ad")).toEqual({ nextDueMs: null });
      for (const [room, user] of [["e-adopt", "ad1"], ["e-adopt2", "ad2"]] as const) {
        const rec = await s.a.read(room);
        await s.a.commit(room, rec.revision, write({ version: 1, rules: [{ userId: user, privileges: 0, untilMs: 0 }] }), null, T0 + 2);
        const del = claimed(await s.b.claim("rule", 1, T0 + 3, 5000, `d-${user}`));
        expect(del).toMatchObject({ action: "del_rule", roomId: room, items: [{ id: user }] });
        await s.a.settle(del, { kind: "done" }, T0 + 4);
      }
      expect(await s.a.rulesInForce(T0 + 5)).toBe(before);
      expect(await s.b.backlog()).toBe(0);
    });
  });
}
