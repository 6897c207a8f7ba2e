import { describe, expect, it } from "vitest";
import { historyEntry, parseHistoryEntry, serializeHistoryEntry, summarizeChange } from "../../src/rooms/history.js";
import { applyChange } from "../../src/rooms/policy.js";
import { emptyRoom, type RoomChange, type RoomState } from "../../src/rooms/room.js";
import { validateChange } from "../../src/rooms/validate.js";
import { InvalidArgumentError } from "../../src/index.js";
import { fieldOf } from "../helpers/errors.js";

function run(room: RoomState, change: RoomChange): { after: RoomState; summary: string } {
  const after = applyChange(room, change).room;
  return { after, summary: summarizeChange(room, after, change) };
}

describe("history summaries (pure)", () => {
  it("describes turns, grants, revocations and stream lists", () => {
    let room = applyChange(emptyRoom("r"), { kind: "setPublishers", publishers: [{ userId: "alice", streamIds: null }] }).room;
    const turn = run(room, { kind: "setPublishers", publishers: [{ userId: "bob", streamIds: null }] });
    expect(turn.summary).toBe("turn: alice lost publish, bob may publish any stream");
    room = turn.after;
    expect(run(room, { kind: "grantPublish", userId: "bob", streamIds: ["s1", "s2"] }).summary).toBe("bob may publish s1, s2");
    expect(run(room, { kind: "revokePublish", userId: "bob" }).summary).toBe("bob lost publish");
    expect(run(emptyRoom("r"), { kind: "revokePublish", userId: "bob" }).summary).toBe("publish rules on: nobody may publish");
  });

  it("describes members and access, with long lists cut short", () => {
    const room = applyChange(emptyRoom("r"), { kind: "addMembers", userIds: ["carol", "dave"] }).room;
    expect(run(room, { kind: "removeMembers", userIds: ["carol"] }).summary).toBe("carol removed");
    expect(run(room, { kind: "setAccess", access: "MEMBERS_ONLY" }).summary).toBe("access MEMBERS_ONLY");
    expect(run(room, { kind: "setAccess", access: "MEMBERS_ONLY", members: ["dave", "erin"] }).summary).toBe("access MEMBERS_ONLY with 2 members; erin added; carol removed");
    const many = Array.from({ length: 8 }, (_, i) => `u${i}`);
    expect(run(room, { kind: "addMembers", userIds: many }).summary).toBe("u0, u1, u2, u3, u4 and 3 more added");
  });

  it("stamps version, epoch, time, actor and the mutation's name; stored entries are validated when read", () => {
    const before = emptyRoom("r");
    const change: RoomChange = { kind: "setAccess", access: "MEMBERS_ONLY", members: [] };
    const after = { ...applyChange(before, change).room, epoch: "e1" };
    const entry = historyEntry(before, after, change, { actor: "game-eu", atMs: 5 });
    expect(entry).toEqual({ version: 1, epoch: "e1", atMs: 5, actor: "game-eu", operation: "setRoomAccess", summary: "access MEMBERS_ONLY with 0 members" });
    expect(parseHistoryEntry(serializeHistoryEntry(entry))).toEqual(entry);
    expect(parseHistoryEntry('{"version":"1"}')).toBeUndefined();
    expect(parseHistoryEntry("not json")).toBeUndefined();
  });
});

describe("setRoomAccess with members (policy)", () => {
  it("sets access and replaces members in one version; removed members lose publish; the same again is a no-op", () => {
    let room = applyChange(emptyRoom("r"), { kind: "addMembers", userIds: ["a", "c"] }).room;
    room = applyChange(room, { kind: "grantPublish", userId: "c", streamIds: null }).room;
    const r = applyChange(room, { kind: "setAccess", access: "MEMBERS_ONLY", members: ["b", "a", "a"] });
    expect(r).toEqual({ changed: true, affected: null, removed: ["c"], room: { ...room, access: "MEMBERS_ONLY", members: ["a", "b"], publishers: [], version: room.version + 1 } });
    expect(applyChange(r.room, { kind: "setAccess", access: "MEMBERS_ONLY", members: ["a", "b"] }).changed).toBe(false);
    // Members only: just who joined or left is affected.
    expect(applyChange(r.room, { kind: "setAccess", access: "MEMBERS_ONLY", members: ["a", "d"] }).affected).toEqual(["b", "d"]);
  });

  it("validates members: a list of user IDs (empty allowed), absent keeps them", () => {
    expect(validateChange("r", { kind: "setAccess", access: "OPEN", members: [] }).change).toEqual({ kind: "setAccess", access: "OPEN", members: [] });
    expect(validateChange("r", { kind: "setAccess", access: "OPEN" }).change).toEqual({ kind: "setAccess", access: "OPEN", members: null });
    expect(fieldOf(() => validateChange("r", { kind: "setAccess", access: "OPEN", members: ["ok", "bad user"] }), InvalidArgumentError)).toBe("members[1]");
    expect(fieldOf(() => validateChange("r", { kind: "setAccess", access: "OPEN", members: "alice" }), InvalidArgumentError)).toBe("members");
  });
});
