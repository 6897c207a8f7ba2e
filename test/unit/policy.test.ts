import { describe, expect, it } from "vitest";
import { applyChange, decidePrivilege, hasAccess } from "../../src/rooms/policy.js";
import { emptyRoom } from "../../src/rooms/room.js";
import { validateChange } from "../../src/rooms/validate.js";
import { InvalidArgumentError } from "../../src/index.js";
import { fieldOf } from "../helpers/errors.js";

describe("policy", () => {
  it("an unconfigured room is open and DEFAULT_CAN_PUBLISH decides publishing", () => {
    const room = emptyRoom("r");
    expect(hasAccess(room, "a")).toBe(true);
    expect(decidePrivilege(room, "a", false)).toEqual({ canLoginRoom: true, canPublish: false, streamIds: null });
    expect(decidePrivilege(room, "a", true)).toEqual({ canLoginRoom: true, canPublish: true, streamIds: null });
  });

  it("once publish rules exist, only listed publishers publish, with their allow-list", () => {
    const { room, affected } = applyChange(emptyRoom("r"), { kind: "grantPublish", userId: "a", streamIds: ["s1"] });
    expect(affected).toBeNull();
    expect(room.version).toBe(1);
    expect(decidePrivilege(room, "a", true)).toEqual({ canLoginRoom: true, canPublish: true, streamIds: ["s1"] });
    expect(decidePrivilege(room, "b", true)).toEqual({ canLoginRoom: true, canPublish: false, streamIds: null });
  });

  it("setPublishers reports exactly the users whose rights changed", () => {
    let room = applyChange(emptyRoom("r"), { kind: "setPublishers", publishers: [{ userId: "a", streamIds: null }, { userId: "b", streamIds: ["x"] }] }).room;
    const r = applyChange(room, { kind: "setPublishers", publishers: [{ userId: "b", streamIds: ["x"] }, { userId: "c", streamIds: null }] });
    expect(r.affected).toEqual(["a", "c"]);
    room = r.room;
    expect(room.publishers?.map((p) => p.userId)).toEqual(["b", "c"]);
    const same = applyChange(room, { kind: "setPublishers", publishers: [{ userId: "c", streamIds: null }, { userId: "b", streamIds: ["x"] }] });
    expect(same).toMatchObject({ changed: false, affected: [] });
    expect(same.room.version).toBe(room.version);
  });

  it("members-only rooms admit members only, and non-members get no publish right", () => {
    let room = applyChange(emptyRoom("r"), { kind: "addMembers", userIds: ["b", "a"] }).room;
    room = applyChange(room, { kind: "setAccess", access: "MEMBERS_ONLY" }).room;
    room = applyChange(room, { kind: "grantPublish", userId: "z", streamIds: null }).room;
    expect(room.members).toEqual(["a", "b"]);
    expect(hasAccess(room, "a")).toBe(true);
    expect(hasAccess(room, "z")).toBe(false);
    expect(decidePrivilege(room, "z", true)).toEqual({ canLoginRoom: false, canPublish: false, streamIds: null });
    const removed = applyChange(room, { kind: "removeMembers", userIds: ["a", "q"] });
    expect(removed.affected).toEqual(["a"]);
    expect(removed.room.members).toEqual(["b"]);
  });

  it("versions only increase, and no-op changes do not bump them", () => {
    let room = emptyRoom("r");
    const versions: number[] = [];
    for (const change of [
      { kind: "setAccess", access: "OPEN" },
      { kind: "addMembers", userIds: ["a"] },
      { kind: "addMembers", userIds: ["a"] },
      { kind: "revokePublish", userId: "a" },
      { kind: "revokePublish", userId: "a" },
    ] as const) {
      room = applyChange(room, change).room;
      versions.push(room.version);
    }
    expect(versions).toEqual([0, 1, 1, 2, 2]);
  });
});

describe("validateChange", () => {
  const field = (fn: () => unknown) => fieldOf(fn, InvalidArgumentError);

  it("names the field at fault and caps lists", () => {
    expect(field(() => validateChange("bad room", { kind: "revokePublish", userId: "a" }))).toBe("roomId");
    expect(field(() => validateChange("r", { kind: "grantPublish", userId: "a", streamIds: Array.from({ length: 21 }, (_, i) => `s${i}`) }))).toBe("streamIds");
    expect(field(() => validateChange("r", { kind: "grantPublish", userId: "a", streamIds: ["ok", "no.dots"] }))).toBe("streamIds[1]");
    expect(field(() => validateChange("r", { kind: "addMembers", userIds: [] }))).toBe("userIds");
    expect(field(() => validateChange("r", { kind: "addMembers", userIds: Array.from({ length: 1001 }, (_, i) => `u${i}`) }))).toBe("userIds");
    expect(field(() => validateChange("r", { kind: "setPublishers", publishers: [{ userId: "a" }, { userId: "a" }] }))).toBe("publishers[1].userId");
    expect(field(() => validateChange("r", { kind: "setAccess", access: "CLOSED" }))).toBe("access");
    expect(field(() => validateChange("r", { kind: "setPublishers", publishers: [] }))).toBe("NO_ERROR");
  });
});

describe("policy: holes closed by the security review", () => {
  it("removing a member removes their publish right, so re-adding them does not restore it", () => {
    let room = applyChange(emptyRoom("r"), { kind: "addMembers", userIds: ["a", "b"] }).room;
    room = applyChange(room, { kind: "grantPublish", userId: "a", streamIds: ["s"] }).room;
    room = applyChange(room, { kind: "removeMembers", userIds: ["a"] }).room;
    expect(room.publishers).toEqual([]);
    room = applyChange(room, { kind: "addMembers", userIds: ["a"] }).room;
    expect(decidePrivilege(room, "a", false)).toEqual({ canLoginRoom: true, canPublish: false, streamIds: null });
  });

  it("refuses an empty streamIds list in every mutation, naming the field", () => {
    expect(fieldOf(() => validateChange("r", { kind: "grantPublish", userId: "a", streamIds: [] }), InvalidArgumentError)).toBe("streamIds");
    expect(fieldOf(() => validateChange("r", { kind: "setPublishers", publishers: [{ userId: "a", streamIds: ["s"] }, { userId: "b", streamIds: [] }] }), InvalidArgumentError)).toBe("publishers[1].streamIds");
    expect(validateChange("r", { kind: "grantPublish", userId: "a", streamIds: null }).change).toMatchObject({ streamIds: null });
  });
});
