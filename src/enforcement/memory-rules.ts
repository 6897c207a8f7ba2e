import type { UserRule } from "./rule-plan.js";
import { freshRule, RULE_LIMITS, ruleAction, ruleForgettable, ruleInForce, ruleKey, ruleLifting, type RuleItem } from "./rule-item.js";
import { byDue } from "./work-item.js";
import type { ClaimedWork, NothingDue, RoomUserRule, SettleOutcome } from "./store.js";

const SCAN = 100;

/** The user-rule part of the memory enforcement store (the Redis store's rule Lua mirrors it). */
export interface MemoryRules {
  /** Writes wanted rules of a room (privileges 0: delete), queuing the calls they need. */
  apply(roomId: string, rules: readonly UserRule[], nowMs: number): void;
  /** The room's wanted rules. */
  read(roomId: string): UserRule[];
  claim(nowMs: number, leaseMs: number, token: string, cap: number): ClaimedWork | NothingDue;
  settle(work: ClaimedWork, outcome: SettleOutcome, nowMs: number): void;
  unlifted(roomId: string, userIds: readonly string[], nowMs: number): string[];
  adopt(rules: readonly RoomUserRule[], nowMs: number): number;
  inForce(nowMs: number): number;
  backlog(): number;
  clear(): void;
}

/** Creates the {@link MemoryRules}. */
export function createMemoryRules(): MemoryRules {
  const items = new Map<string, RuleItem>();
  const wanted = new Map<string, Map<string, UserRule>>();
  const due = new Map<string, number>();

  // After a change: queue the rule if it needs a call, forget it if it holds nothing.
  const touch = (key: string, item: RuleItem, hadWork: boolean, nowMs: number) => {
    if (ruleAction(item, nowMs) !== null) {
      if (!hadWork) item.q = nowMs;
      items.set(key, item);
      if (item.c === "") due.set(key, Math.min(due.get(key) ?? nowMs, nowMs));
    } else if (item.c === "") {
      due.delete(key);
      if (ruleForgettable(item, nowMs)) items.delete(key);
      else items.set(key, item);
    } else items.set(key, item);
  };
  const count = (nowMs: number) => {
    let n = 0;
    for (const item of items.values()) if (ruleInForce(item, nowMs)) n++;
    return n;
  };
  const nextLapse = (nowMs: number) => {
    let next: number | null = null;
    for (const item of items.values()) if (ruleInForce(item, nowMs)) next = next === null ? item.au : Math.min(next, item.au);
    return next;
  };

  return {
    apply(roomId, rules, nowMs) {
      let room = wanted.get(roomId);
      if (room === undefined) wanted.set(roomId, (room = new Map()));
      for (const r of rules) {
        if (r.privileges === 0) room.delete(r.userId);
        else room.set(r.userId, r);
        const key = ruleKey(roomId, r.userId);
        const item = items.get(key) ?? freshRule(roomId, r.userId, nowMs);
        const hadWork = items.has(key) && ruleAction(item, nowMs) !== null;
        touch(key, { ...item, p: r.privileges, w: r.untilMs }, hadWork, nowMs);
      }
      if (room.size === 0) wanted.delete(roomId);
    },
    read: (roomId) => [...(wanted.get(roomId)?.values() ?? [])],
    claim(nowMs, leaseMs, token, cap) {
      const ready = [...due].filter(([, at]) => at <= nowMs).sort(byDue).slice(0, SCAN);
      for (const [key] of ready) {
        const item = items.get(key);
        const act = item === undefined ? null : ruleAction(item, nowMs);
        if (item === undefined || act === null) {
          due.delete(key);
          if (item !== undefined && item.c === "" && ruleForgettable(item, nowMs)) items.delete(key);
          continue;
        }
        if (act === "set" && !ruleInForce(item, nowMs) && count(nowMs) >= cap) {
          // Full: look again when the first rule in force lapses, or in a second (a delete may free a slot).
          due.set(key, Math.max(nowMs + 1, Math.min(nextLapse(nowMs) ?? Infinity, nowMs + RULE_LIMITS.recheckMs)));
          continue;
        }
        items.set(key, act === "set" ? { ...item, c: token, ap: item.p, au: item.w, k: 0 } : { ...item, c: token });
        due.set(key, nowMs + leaseMs);
        const rule = act === "set" ? { rule: { privileges: item.p, untilMs: item.w } } : {};
        return {
          lane: "rule",
          action: act === "set" ? "set_rule" : "del_rule",
          token,
          // Rule calls carry no Sequence.
          sequence: 0,
          roomId: item.r,
          items: [{ key, id: item.u, roomId: item.r, enqueuedAtMs: item.q, attempts: item.at, ...rule }],
        };
      }
      let next: number | null = null;
      for (const at of due.values()) next = next === null ? at : Math.min(next, at);
      return { nextDueMs: next };
    },
    settle(work, outcome, nowMs) {
      for (const w of work.items) {
        const item = items.get(w.key);
        if (item === undefined || item.c !== work.token) continue;
        let next: RuleItem;
        if (outcome.kind === "retry") {
          items.set(w.key, { ...item, c: "", at: item.at + 1 });
          due.set(w.key, outcome.dueMs);
          continue;
        }
        if (outcome.kind === "done") next = work.action === "set_rule" ? { ...item, c: "", at: 0, k: 1 } : { ...item, c: "", at: 0, ap: 0, au: 0, k: 1 };
        // Rejected alone: ZEGO holds no such rule, and asking again will not help.
        else next = { ...item, c: "", at: 0, ap: 0, au: 0, k: 1, p: 0, w: 0 };
        if (ruleAction(next, nowMs) === null) {
          due.delete(w.key);
          if (ruleForgettable(next, nowMs)) items.delete(w.key);
          else items.set(w.key, next);
        } else {
          items.set(w.key, next);
          due.set(w.key, nowMs);
        }
      }
    },
    unlifted: (roomId, userIds, nowMs) =>
      userIds.filter((u) => {
        const item = items.get(ruleKey(roomId, u));
        return item !== undefined && ruleLifting(item, nowMs);
      }),
    adopt(list, nowMs) {
      let adopted = 0;
      for (const r of list) {
        const key = ruleKey(r.roomId, r.userId);
        if (r.untilMs <= nowMs || r.privileges === 0 || items.has(key)) continue;
        items.set(key, { ...freshRule(r.roomId, r.userId, nowMs), p: r.privileges, w: r.untilMs, ap: r.privileges, au: r.untilMs });
        let room = wanted.get(r.roomId);
        if (room === undefined) wanted.set(r.roomId, (room = new Map()));
        room.set(r.userId, { userId: r.userId, privileges: r.privileges, untilMs: r.untilMs });
        adopted++;
      }
      return adopted;
    },
    inForce: count,
    backlog: () => due.size,
    clear() {
      items.clear();
      wanted.clear();
      due.clear();
    },
  };
}
