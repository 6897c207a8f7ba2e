import { describe, expect, it } from "vitest";
import { EMPTY_RECORD, planEnforcement, type EnforcementRecord } from "../../src/enforcement/plan.js";
import type { RoomState } from "../../src/rooms/room.js";

const room = (over: Partial<RoomState>): RoomState => ({ roomId: "r", access: "OPEN", members: [], publishers: null, version: 1, epoch: "e1", ...over });
const rec = (over: Partial<EnforcementRecord>): EnforcementRecord => ({ ...EMPTY_RECORD, revision: 1, version: 0, ...over });
const plan = (r: RoomState, record: EnforcementRecord, extra: { unknownStream?: "kick" | "none"; removedUsers?: string[] } = {}) =>
  planEnforcement({ room: r, record, defaultCanPublish: false, unknownStream: extra.unknownStream ?? "none", ...(extra.removedUsers === undefined ? {} : { removedUsers: extra.removedUsers }) });

describe("planEnforcement", () => {
  it("revoke: forbids the live stream and pre-bans the old allow-list's other IDs", () => {
    const p = plan(room({ publishers: [] }), rec({ allowed: ["a1", "a2"], live: [{ streamId: "a1", userId: "alice", sinceMs: 1 }] }));
    expect(p.write.ban).toEqual([
      { streamId: "a1", userId: "alice" },
      { streamId: "a2", userId: null },
    ]);
    expect(p.write.dropLive).toEqual(["a1"]);
    expect(p.write).toMatchObject({ version: 1, allowed: [], unban: [], bounce: [], kick: [] });
    expect(p.empty).toBe(false);
  });

  it("turn change: forbids the old speaker, resumes the new speaker's banned stream", () => {
    const p = plan(
      room({ publishers: [{ userId: "bob", streamIds: ["b"] }] }),
      rec({ allowed: ["a"], banned: [{ streamId: "b", userId: null }], live: [{ streamId: "a", userId: "alice", sinceMs: 1 }] }),
    );
    expect(p.write.ban).toEqual([{ streamId: "a", userId: "alice" }]);
    expect(p.write.unban).toEqual(["b"]);
    expect(p.reopen).toEqual(["b"]);
    expect(p.write.allowed).toEqual(["b"]);
  });

  it("a live stream now allowed to another user is bounced (forbid, then resume), not banned", () => {
    const p = plan(room({ publishers: [{ userId: "bob", streamIds: ["stage"] }] }), rec({ allowed: ["stage"], live: [{ streamId: "stage", userId: "alice", sinceMs: 1 }] }));
    expect(p.write.ban).toEqual([]);
    expect(p.write.bounce).toEqual(["stage"]);
    expect(p.reopen).toEqual(["stage"]);
  });

  it("no foreign bans: an ID another room names is bounced when live, never banned in advance, and a ban of it is lifted", () => {
    const p = plan(
      room({ publishers: [] }),
      rec({ allowed: ["mine", "theirs"], anyUsers: ["x"], banned: [{ streamId: "old", userId: null }], live: [{ streamId: "stage", userId: "x", sinceMs: 1 }], foreign: ["old", "stage", "theirs"] }),
    );
    expect(p.write.ban).toEqual([{ streamId: "mine", userId: null }]);
    expect(p.write.bounce).toEqual(["stage"]);
    expect(p.write.unban).toEqual(["old"]);
    expect([...p.reopen].sort()).toEqual(["old", "stage"]);
  });

  it("keeps allowed and live-permitted streams alone; a repeat with nothing new is empty", () => {
    const r = room({ publishers: [{ userId: "alice", streamIds: ["a"] }, { userId: "carol", streamIds: null }] });
    const record = rec({ version: 1, allowed: ["a"], anyUsers: ["carol"], live: [{ streamId: "a", userId: "alice", sinceMs: 1 }, { streamId: "zz", userId: "carol", sinceMs: 1 }] });
    expect(plan(r, record)).toMatchObject({ empty: true, write: { version: 1, allowed: ["a"], anyUsers: ["carol"] } });
  });

  it("a banned stream whose owner may publish any stream again is resumed", () => {
    const p = plan(room({ publishers: [{ userId: "carol", streamIds: null }] }), rec({ banned: [{ streamId: "c1", userId: "carol" }, { streamId: "x", userId: null }] }));
    expect(p.write.unban).toEqual(["c1"]);
  });

  it("removed members and live publishers without access are kicked; removal from an open room kicks nobody", () => {
    const members = room({ access: "MEMBERS_ONLY", members: ["bob"], publishers: null });
    const p = plan(members, rec({ live: [{ streamId: "d", userId: "dave", sinceMs: 1 }] }), { removedUsers: ["carol", "bob"] });
    expect(p.write.kick).toEqual([
      { userId: "dave", reason: "no_access" },
      { userId: "carol", reason: "removed" },
    ]);
    expect(p.write.ban).toEqual([{ streamId: "d", userId: "dave" }]);
    expect(plan(room({}), rec({}), { removedUsers: ["carol"] }).write.kick).toEqual([]);
  });

  it("a revoked 'any stream' publisher with no known live stream is reported, and kicked only by policy", () => {
    const r = room({ version: 2, publishers: [] });
    const record = rec({ version: 1, anyUsers: ["carol"] });
    expect(plan(r, record)).toMatchObject({ unknownStreamUsers: ["carol"], write: { kick: [] } });
    expect(plan(r, record, { unknownStream: "kick" })).toMatchObject({ unknownStreamUsers: ["carol"], write: { kick: [{ userId: "carol", reason: "unknown_stream" }] } });
    const live = rec({ version: 1, anyUsers: ["carol"], live: [{ streamId: "c", userId: "carol", sinceMs: 1 }] });
    expect(plan(r, live, { unknownStream: "kick" })).toMatchObject({ unknownStreamUsers: [], write: { kick: [], ban: [{ streamId: "c", userId: "carol" }] } });
  });

  it("does not pre-ban from the allow-list diff when the room version is not newer", () => {
    const p = plan(room({ version: 3, publishers: [] }), rec({ version: 3, allowed: ["a"] }));
    expect(p.write.ban).toEqual([]);
    expect(p.write.allowed).toEqual(["a"]);
  });
});
