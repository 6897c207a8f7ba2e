import { describe, expect, it } from "vitest";
import { planRules, ruleCandidates, type HeldToken, type RuleRecord } from "../../src/enforcement/rule-plan.js";
import { effectiveSeconds, privilegeList, ruleAction, type RuleItem } from "../../src/enforcement/rule-item.js";
import type { RoomState } from "../../src/rooms/room.js";

const NOW = 1_800_000_000_000;
const room = (over: Partial<RoomState>): RoomState => ({ roomId: "r", access: "OPEN", members: [], publishers: null, version: 1, epoch: "e1", ...over });
const record = (over: Partial<RuleRecord> = {}): RuleRecord => ({ live: [], anyUsers: [], rules: [], ...over });
const rules = (r: RoomState, rec: RuleRecord, held: Record<string, HeldToken>, removed: string[] = [], nowMs = NOW) =>
  planRules({ room: r, record: rec, defaultCanPublish: false, candidates: ruleCandidates(r, rec, removed), held: new Map(Object.entries(held)), nowMs });

describe("planRules", () => {
  it("a removed member holding a token: a login rule until the token expires; without a token, none", () => {
    const r = room({ access: "MEMBERS_ONLY", members: ["stay"] });
    expect(rules(r, record(), { gone: { expiresAtMs: NOW + 600_000, anyStream: false } }, ["gone", "tokenless"])).toEqual([{ userId: "gone", privileges: 1, untilMs: NOW + 600_000 }]);
  });

  it("a publisher left outside when the room becomes members-only gets a login rule too", () => {
    const r = room({ access: "MEMBERS_ONLY", members: ["m"], publishers: [{ userId: "p", streamIds: ["s"] }] });
    expect(rules(r, record(), { p: { expiresAtMs: NOW + 60_000, anyStream: false } })).toEqual([{ userId: "p", privileges: 1, untilMs: NOW + 60_000 }]);
  });

  it("a demoted holder of an any-stream token: a publish rule; of a named-stream token: none", () => {
    const r = room({ publishers: [] });
    const rec = record({ anyUsers: ["any", "named"] });
    const held = { any: { expiresAtMs: NOW + 300_000, anyStream: true }, named: { expiresAtMs: NOW + 300_000, anyStream: false } };
    expect(rules(r, rec, held)).toEqual([{ userId: "any", privileges: 2, untilMs: NOW + 300_000 }]);
  });

  it("never shortens a rule while needed, caps it at 86400 s, and lifts what is allowed again", () => {
    const had = [{ userId: "u", privileges: 2, untilMs: NOW + 900_000 }];
    // The newest token (after the demotion) allows nothing: the old rule stays as it is.
    expect(rules(room({ publishers: [] }), record({ rules: had }), { u: { expiresAtMs: NOW + 600_000, anyStream: false } })).toEqual([]);
    expect(rules(room({ publishers: [] }), record({ anyUsers: ["v"] }), { v: { expiresAtMs: NOW + 5 * 86_400_000, anyStream: true } })).toEqual([{ userId: "v", privileges: 2, untilMs: NOW + 86_400_000 }]);
    expect(rules(room({ publishers: [{ userId: "u", streamIds: ["s"] }] }), record({ rules: had }), {})).toEqual([{ userId: "u", privileges: 0, untilMs: 0 }]);
    // Removed as well: login is added, publish kept.
    expect(rules(room({ access: "MEMBERS_ONLY", publishers: [] }), record({ rules: had }), { u: { expiresAtMs: NOW + 600_000, anyStream: false } })).toEqual([{ userId: "u", privileges: 3, untilMs: NOW + 900_000 }]);
    // A rule that lapsed is forgotten.
    expect(rules(room({ publishers: [] }), record({ rules: had }), {}, [], NOW + 900_000)).toEqual([{ userId: "u", privileges: 0, untilMs: 0 }]);
  });
});

describe("rule items", () => {
  const item = (over: Partial<RuleItem>): RuleItem => ({ r: "r", u: "u", p: 0, w: 0, ap: 0, au: 0, k: 1, at: 0, q: 0, c: "", ...over });
  it("set when wanted and not confirmed, delete first when a privilege is lifted, nothing once lapsed", () => {
    expect(ruleAction(item({ p: 1, w: NOW + 1 }), NOW)).toBe("set");
    expect(ruleAction(item({ p: 1, w: NOW + 1, ap: 1, au: NOW + 1 }), NOW)).toBeNull();
    expect(ruleAction(item({ p: 1, w: NOW + 1, ap: 1, au: NOW + 1, k: 0 }), NOW)).toBe("set");
    expect(ruleAction(item({ p: 1, w: NOW + 1, ap: 3, au: NOW + 1 }), NOW)).toBe("del");
    expect(ruleAction(item({ ap: 1, au: NOW + 1 }), NOW)).toBe("del");
    expect(ruleAction(item({ ap: 1, au: NOW }), NOW)).toBeNull();
    expect(ruleAction(item({ p: 1, w: NOW }), NOW)).toBeNull();
  });
  it("EffectiveTime is whole seconds from 1 to 86400; privileges listed as ZEGO wants them", () => {
    expect(effectiveSeconds(NOW + 1500, NOW)).toBe(2);
    expect(effectiveSeconds(NOW - 5, NOW)).toBe(1);
    expect(effectiveSeconds(NOW + 10 * 86_400_000, NOW)).toBe(86_400);
    expect(privilegeList(3)).toEqual([1, 2]);
    expect(privilegeList(2)).toEqual([2]);
  });
});
