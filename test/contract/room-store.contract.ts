import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOM_LIMITS, type RoomChange } from "../../src/rooms/room.js";
import { InvalidArgumentError } from "../../src/token/index.js";
import type { IssuedRecord, RoomStore } from "../../src/rooms/store.js";

/** Creates stores over one shared backend (two "instances"), and tears the backend down. */
export interface StoreHarness {
  stores(): Promise<[RoomStore, RoomStore]>;
  close(): Promise<void>;
}

/** The behaviour every RoomStore must have. */
export function describeRoomStoreContract(name: string, harness: () => Promise<StoreHarness>): void {
  describe(`RoomStore contract: ${name}`, () => {
    let h: StoreHarness;
    let a: RoomStore;
    let b: RoomStore;
    beforeAll(async () => {
      h = await harness();
      [a, b] = await h.stores();
    });
    afterAll(async () => {
      await h.close();
    });

    it("returns the empty state for an unknown room", async () => {
      expect(await a.getRoom("c-unknown")).toEqual({ roomId: "c-unknown", access: "OPEN", members: [], publishers: null, version: 0, epoch: "" });
    });

    it("gives a room a random epoch when it is first stored, and keeps it", async () => {
      const first = await a.applyChange("c-epoch", { kind: "addMembers", userIds: ["u1"] });
      expect(first.room.epoch).toMatch(/^[0-9a-f]{16}$/);
      const second = await b.applyChange("c-epoch", { kind: "addMembers", userIds: ["u2"] });
      expect(second.room.epoch).toBe(first.room.epoch);
      expect((await a.applyChange("c-epoch-2", { kind: "addMembers", userIds: ["u1"] })).room.epoch).not.toBe(first.room.epoch);
    });

    it("applies changes with a version bump each, visible to every instance; no-ops bump nothing", async () => {
      const r1 = await a.applyChange("c-basic", { kind: "grantPublish", userId: "u1", streamIds: ["s1"] });
      expect(r1).toMatchObject({ changed: true, affected: null, room: { version: 1, publishers: [{ userId: "u1", streamIds: ["s1"] }] } });
      const r2 = await b.applyChange("c-basic", { kind: "addMembers", userIds: ["u2"] });
      expect(r2).toMatchObject({ changed: true, affected: ["u2"], room: { version: 2, members: ["u2"] } });
      const r3 = await a.applyChange("c-basic", { kind: "addMembers", userIds: ["u2"] });
      expect(r3).toMatchObject({ changed: false, room: { version: 2 } });
      expect(await b.getRoom("c-basic")).toEqual(r2.room);
    });

    it("concurrent setPublishers from two instances leave exactly one of the lists, versions only growing", async () => {
      const listA = [{ userId: "alice", streamIds: ["a"] }, { userId: "carol", streamIds: null }];
      const listB = [{ userId: "bob", streamIds: ["b1", "b2"] }];
      const changedVersions: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const change: RoomChange = { kind: "setPublishers", publishers: i % 2 === 0 ? listA : listB };
          const r = await (i % 2 === 0 ? a : b).applyChange("c-race", change);
          if (r.changed) changedVersions.push(r.room.version);
        }),
      );
      const final = await a.getRoom("c-race");
      expect([listA, listB].map((l) => JSON.stringify(l))).toContain(JSON.stringify(final.publishers));
      // Every committed change got its own version, and the last one is the room's.
      expect(new Set(changedVersions).size).toBe(changedVersions.length);
      expect(final.version).toBe(Math.max(...changedVersions));
      expect(final.version).toBe(changedVersions.length);
    });

    it("stores issued records per (user, room), apart from basic tokens, until the token expires", async () => {
      const now = Date.now();
      const expiresAt = Math.floor(now / 1000) + 1;
      const record: IssuedRecord = { version: 3, issuedAt: expiresAt - 100, expiresAt, renewAtMs: now, ttlSeconds: 100, canLoginRoom: true, canPublish: false, streamIds: ["x"] };
      await a.putIssued("u1", "c-rec", record, now);
      await a.putIssued("u1", null, { ...record, version: 0 }, now);
      expect(await b.getIssued("u1", "c-rec")).toEqual(record);
      expect((await b.getIssued("u1", null))?.version).toBe(0);
      expect(await b.getIssued("u2", "c-rec")).toBeNull();
      await new Promise((r) => setTimeout(r, expiresAt * 1000 - Date.now() + 60));
      expect(await b.getIssued("u1", "c-rec")).toBeNull();
    });

    it("refuses a change that breaks a room cap with InvalidArgumentError (BAD_USER_INPUT), changing nothing", async () => {
      const many = Array.from({ length: ROOM_LIMITS.maxListEntries }, (_, i) => `m${i}`);
      for (let i = 0; i < ROOM_LIMITS.maxMembers / ROOM_LIMITS.maxListEntries; i++) {
        await a.applyChange("c-cap", { kind: "addMembers", userIds: many.map((u) => `${u}_${i}`) });
      }
      const before = await b.getRoom("c-cap");
      expect(before.members).toHaveLength(ROOM_LIMITS.maxMembers);
      await expect(b.applyChange("c-cap", { kind: "addMembers", userIds: ["one-too-many"] })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await a.getRoom("c-cap")).toEqual(before);
    });

    it("records each committed change with its history entry, shared by every instance, oldest first; no-ops and refusals record nothing", async () => {
      const at = 1_700_000_000_000;
      await a.applyChange("c-hist", { kind: "setPublishers", publishers: [{ userId: "alice", streamIds: ["cam"] }] }, { actor: "game-eu", atMs: at });
      await b.applyChange("c-hist", { kind: "setPublishers", publishers: [{ userId: "bob", streamIds: null }] }, { actor: "game-us", atMs: at + 1 });
      await a.applyChange("c-hist", { kind: "setPublishers", publishers: [{ userId: "bob", streamIds: null }] }, { actor: "game-eu", atMs: at + 2 });
      await expect(a.applyChange("c-hist", { kind: "setPublishers", publishers: Array.from({ length: ROOM_LIMITS.maxPublishers + 1 }, (_, i) => ({ userId: `p${i}`, streamIds: null })) }, { actor: "game-eu", atMs: at + 3 })).rejects.toBeInstanceOf(InvalidArgumentError);
      const room = await b.getRoom("c-hist");
      const history = await b.history("c-hist", 50);
      expect(history).toEqual([
        { version: 1, epoch: room.epoch, atMs: at, actor: "game-eu", operation: "setPublishers", summary: "turn: publish rules on, alice may publish cam" },
        { version: 2, epoch: room.epoch, atMs: at + 1, actor: "game-us", operation: "setPublishers", summary: "turn: alice lost publish, bob may publish any stream" },
      ]);
      expect(await a.history("c-hist", 1)).toEqual(history.slice(1));
      expect(await a.history("c-never", 50)).toEqual([]);
    });

    it("sets access and members in one change: one version, one entry", async () => {
      await a.applyChange("c-switch", { kind: "addMembers", userIds: ["alice", "carol"] }, { actor: "k", atMs: 1 });
      await a.applyChange("c-switch", { kind: "grantPublish", userId: "carol", streamIds: null }, { actor: "k", atMs: 2 });
      const r = await b.applyChange("c-switch", { kind: "setAccess", access: "MEMBERS_ONLY", members: ["alice", "bob"] }, { actor: "k", atMs: 3 });
      expect(r).toMatchObject({ changed: true, affected: null, removed: ["carol"], room: { version: 3, access: "MEMBERS_ONLY", members: ["alice", "bob"], publishers: [] } });
      const last = await a.history("c-switch", 50);
      expect(last.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(last[2]).toMatchObject({ operation: "setRoomAccess", summary: "access MEMBERS_ONLY with 2 members; bob added; carol removed; carol lost publish" });
      expect((await a.applyChange("c-switch", { kind: "setAccess", access: "MEMBERS_ONLY", members: ["bob", "alice"] })).changed).toBe(false);
      expect(await a.history("c-switch", 50)).toHaveLength(3);
    });

    it("keeps a history entry for every change of a race, in version order", async () => {
      const history = await a.history("c-race", 1000);
      const room = await b.getRoom("c-race");
      expect(history.map((e) => e.version)).toEqual(Array.from({ length: room.version }, (_, i) => i + 1));
    });

    it("keeps only the last ROOM_HISTORY_LENGTH (1000) entries per room", async () => {
      for (let i = 0; i < 1003; i++) {
        await (i % 2 === 0 ? a : b).applyChange("c-cap-hist", i % 2 === 0 ? { kind: "grantPublish", userId: "u", streamIds: null } : { kind: "revokePublish", userId: "u" }, { actor: "k", atMs: i });
      }
      const history = await b.history("c-cap-hist", 5000);
      expect(history).toHaveLength(1000);
      expect(history[0]?.version).toBe(4);
      expect(history[999]?.version).toBe(1003);
    });

    it("lists the users holding an unexpired token for a room, with expiry and rights", async () => {
      const now = Date.now();
      const nowS = Math.floor(now / 1000);
      const rec = (expiresAt: number, streamIds: string[] | null): IssuedRecord => ({ version: 1, issuedAt: nowS, expiresAt, renewAtMs: now, ttlSeconds: 600, canLoginRoom: true, canPublish: streamIds !== null, streamIds });
      await a.putIssued("carol", "c-hold", rec(nowS + 600, ["s1"]), now);
      await b.putIssued("alice", "c-hold", rec(nowS + 1, null), now);
      await a.putIssued("dave", null, rec(nowS + 600, null), now);
      await a.putIssued("erin", "c-other", rec(nowS + 600, null), now);
      expect(await b.tokenHolders("c-hold", now)).toEqual([
        { userId: "alice", expiresAt: nowS + 1, canPublish: false, streamIds: null },
        { userId: "carol", expiresAt: nowS + 600, canPublish: true, streamIds: ["s1"] },
      ]);
      // A renewal replaces the user's entry; a token past its expiry is no longer held.
      await b.putIssued("carol", "c-hold", rec(nowS + 900, null), now);
      expect(await a.tokenHolders("c-hold", (nowS + 1) * 1000)).toEqual([{ userId: "carol", expiresAt: nowS + 900, canPublish: false, streamIds: null }]);
      expect(await a.tokenHolders("c-none", now)).toEqual([]);
    });

    it("answers ping", async () => {
      await expect(a.ping()).resolves.toBeUndefined();
    });
  });
}
