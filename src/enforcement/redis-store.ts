import { unavailableOnFailure, type RedisClient } from "../redis/connection.js";
import { isStringArray } from "../util/json.js";
import { EMPTY_RECORD, foreignOf, type EnforcementRecord } from "./plan.js";
import { ACQUIRE, ADOPT_RULES, CLAIM, CLAIM_RULE, COMMIT, ENQUEUE_KICKS, INTEND, RECORD_STREAM, SETTLE, SETTLE_RULE } from "./redis-scripts.js";
import { parseRuleItem, RULE_LIMITS, ruleKey, ruleLifting } from "./rule-item.js";
import type { UserRule } from "./rule-plan.js";
import { CLOSED_TTL_MS, paceOf, REPLAY_TTL_MS, type ClaimedWork, type EnforcementStore, type Lane, type NothingDue, type WorkAction, type WorkItem } from "./store.js";
import { parseStreamItem, streamAction, streamConfirmedBanned, streamKey } from "./work-item.js";

/** Options of {@link createRedisEnforcementStore}. */
export interface RedisEnforcementStoreOptions {
  /** The command connection (owned by the backends). */
  readonly redis: RedisClient;
  /** Key prefix, e.g. `zts`. */
  readonly prefix: string;
}

function strings(json: string | undefined): string[] {
  if (json === undefined) return [];
  try {
    const v: unknown = JSON.parse(json);
    return isStringArray(v) ? v : [];
  } catch {
    return [];
  }
}

function parseClaimed(json: string): WorkItem[] {
  const rows: unknown = JSON.parse(json);
  if (!Array.isArray(rows)) return [];
  const items: WorkItem[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const [key, id, roomId, q, at] = row as unknown[];
    if (typeof key !== "string" || typeof id !== "string" || typeof roomId !== "string" || typeof q !== "number" || typeof at !== "number") continue;
    items.push({ key, id, roomId, enqueuedAtMs: q, attempts: at });
  }
  return items;
}

/**
 * An {@link EnforcementStore} in Redis. Every key shares the hash tag `{enforce}`, so each Lua step
 * (plan write with its work, claim, settle) touches one slot and stays atomic on a Redis Cluster too.
 */
export function createRedisEnforcementStore(options: RedisEnforcementStoreOptions): EnforcementStore {
  const { redis } = options;
  const base = `${options.prefix}:{enforce}`;
  const k = {
    rec: (room: string) => `${base}:rec:${room}`,
    live: (room: string) => `${base}:live:${room}`,
    closed: (room: string) => `${base}:closed:${room}`,
    banned: (room: string) => `${base}:banned:${room}`,
    rules: (room: string) => `${base}:rules:${room}`,
    force: `${base}:force`,
    named: `${base}:named`,
    replay: (key: string) => `${base}:replay:${key}`,
    items: `${base}:items`,
    due: (lane: Lane) => `${base}:due:${lane}`,
    rate: (lane: Lane) => `${base}:rate:${lane}`,
    seq: `${base}:seq`,
    ticket: `${base}:ticket`,
    intent: `${base}:intent`,
    intents: `${base}:intents`,
  };

  const read = async (roomId: string): Promise<EnforcementRecord> => {
    const res = await redis.multi().hgetall(k.rec(roomId)).hgetall(k.banned(roomId)).hgetall(k.live(roomId)).hgetall(k.rules(roomId)).exec();
    const [rec, banned, live, rules] = (res ?? []).map(([err, v]) => {
      if (err !== null) throw err;
      return v as Record<string, string>;
    });
    if (rec === undefined || banned === undefined || live === undefined || rules === undefined) throw new Error("incomplete reply");
    if ([rec, banned, live, rules].every((h) => Object.keys(h).length === 0)) return EMPTY_RECORD;
    const ver = Number(rec["ver"] ?? "-1");
    const allowed = strings(rec["allowed"]);
    const ids = [...new Set([...allowed, ...Object.keys(banned), ...Object.keys(live)])];
    const counts = ids.length === 0 ? [] : await redis.hmget(k.named, ...ids);
    return {
      revision: Number(rec["rev"] ?? "0"),
      version: Number.isSafeInteger(ver) ? ver : -1,
      allowed,
      anyUsers: strings(rec["any"]),
      banned: Object.entries(banned).map(([streamId, userId]) => ({ streamId, userId: userId === "" ? null : userId })),
      live: Object.entries(live).flatMap(([streamId, v]) => {
        const bar = v.indexOf("|");
        const sinceMs = Number(v.slice(0, bar));
        return bar < 0 || !Number.isSafeInteger(sinceMs) ? [] : [{ streamId, userId: v.slice(bar + 1), sinceMs }];
      }),
      foreign: foreignOf(ids, (_id, i) => Number(counts[i] ?? "0"), allowed),
      rules: Object.entries(rules).flatMap(([userId, v]): UserRule[] => {
        const [privileges, untilMs] = v.split("|").map(Number);
        return privileges === undefined || untilMs === undefined || !Number.isSafeInteger(privileges) || !Number.isSafeInteger(untilMs) ? [] : [{ userId, privileges, untilMs }];
      }),
    };
  };

  const claimRule = async (nowMs: number, leaseMs: number, token: string, cap: number): Promise<ClaimedWork | NothingDue> => {
    const reply = (await redis.eval(CLAIM_RULE, 3, k.due("rule"), k.items, k.force, String(nowMs), String(leaseMs), token, String(cap), String(RULE_LIMITS.recheckMs))) as string[];
    if (reply[0] === "none") return { nextDueMs: reply[1] === undefined ? null : Number(reply[1]) };
    const row: unknown = JSON.parse(reply[1] ?? "[]");
    const [key, id, roomId, q, at, privileges, untilMs] = Array.isArray(row) ? (row as unknown[]) : [];
    if (typeof key !== "string" || typeof id !== "string" || typeof roomId !== "string" || typeof q !== "number" || typeof at !== "number") throw new Error("malformed rule claim");
    const rule = reply[0] === "set_rule" && typeof privileges === "number" && typeof untilMs === "number" ? { rule: { privileges, untilMs } } : {};
    // Rule calls carry no Sequence.
    return { lane: "rule", action: reply[0] === "set_rule" ? "set_rule" : "del_rule", token, sequence: 0, roomId, items: [{ key, id, roomId, enqueuedAtMs: q, attempts: at, ...rule }] };
  };

  return {
    intend: (roomId, nowMs) => unavailableOnFailure(async () => Number(await redis.eval(INTEND, 3, k.ticket, k.intent, k.intents, roomId, String(nowMs)))),
    staleIntents: (beforeMs, max) =>
      unavailableOnFailure(async () => {
        const rooms = await redis.zrangebyscore(k.intents, "-inf", `(${beforeMs}`, "LIMIT", 0, max);
        if (rooms.length === 0) return [];
        const tickets = await redis.hmget(k.intent, ...rooms);
        return rooms.flatMap((roomId, i) => (tickets[i] == null ? [] : [{ roomId, ticket: Number(tickets[i]) }]));
      }),
    read: (roomId) => unavailableOnFailure(() => read(roomId)),
    commit: (roomId, expectedRevision, write, ticket, nowMs) =>
      unavailableOnFailure(async () => {
        const ops = JSON.stringify({
          ban: write.ban.map((b) => [b.streamId, b.userId ?? ""]),
          unban: write.unban,
          bounce: write.bounce,
          drop: write.dropLive,
          kick: write.kick.map((x) => [x.userId, x.reason]),
          rules: write.rules.map((r) => [r.userId, r.privileges, r.untilMs]),
        });
        const keys = [k.rec(roomId), k.banned(roomId), k.live(roomId), k.items, k.due("media"), k.due("room"), k.intent, k.intents, k.rules(roomId), k.due("rule"), k.force, k.named];
        const args = [String(expectedRevision), String(write.version), JSON.stringify(write.allowed), JSON.stringify(write.anyUsers), String(nowMs), ticket === null ? "" : String(ticket), roomId, ops];
        return (await redis.eval(COMMIT, keys.length, ...keys, ...args)) === 1;
      }),
    recordStream: (event, replayKey, nowMs) =>
      unavailableOnFailure(async () => {
        const keys = [k.replay(replayKey), k.live(event.roomId), k.closed(event.roomId), k.rec(event.roomId)];
        const args = [event.kind, event.streamId, event.userId, String(event.atMs), String(nowMs), String(REPLAY_TTL_MS), String(CLOSED_TTL_MS)];
        return (await redis.eval(RECORD_STREAM, keys.length, ...keys, ...args)) === 1 ? "recorded" : "replayed";
      }),
    useNonce: (replayKey, nowMs) =>
      unavailableOnFailure(async () => ((await redis.set(k.replay(replayKey), "1", "PX", REPLAY_TTL_MS, "NX")) === null ? "replayed" : "fresh")),
    enqueueKicks: (roomId, kicks, nowMs) =>
      unavailableOnFailure(async () => {
        if (kicks.length === 0) return;
        await redis.eval(ENQUEUE_KICKS, 2, k.items, k.due("room"), roomId, String(nowMs), JSON.stringify(kicks.map((x) => [x.userId, x.reason])));
      }),
    claim: (lane, max, nowMs, leaseMs, token, ruleCap = RULE_LIMITS.cap) =>
      unavailableOnFailure(async () => {
        if (lane === "rule") return claimRule(nowMs, leaseMs, token, ruleCap);
        const reply = (await redis.eval(CLAIM, 3, k.due(lane), k.items, k.seq, lane, String(max), String(nowMs), String(leaseMs), token)) as string[];
        if (reply[0] === "none") return { nextDueMs: reply[1] === undefined ? null : Number(reply[1]) };
        const action = reply[0] as WorkAction;
        const items = parseClaimed(reply[2] ?? "[]");
        const work: ClaimedWork = { lane, action, token, sequence: Number(reply[1]), roomId: lane === "room" ? (items[0]?.roomId ?? null) : null, items };
        return work;
      }),
    settle: (work, outcome, nowMs) =>
      unavailableOnFailure(async () => {
        const dueMs = outcome.kind === "retry" ? outcome.dueMs : nowMs;
        if (work.lane === "rule") {
          for (const item of work.items) await redis.eval(SETTLE_RULE, 3, k.due("rule"), k.items, k.force, work.action, work.token, outcome.kind, String(dueMs), String(nowMs), item.key);
          return;
        }
        await redis.eval(SETTLE, 2, k.due(work.lane), k.items, work.lane, work.action, work.token, outcome.kind, String(dueMs), String(nowMs), JSON.stringify(work.items.map((i) => i.key)));
      }),
    unsettled: (streamIds) =>
      unavailableOnFailure(async () => {
        if (streamIds.length === 0) return [];
        const items = await redis.hmget(k.items, ...streamIds.map(streamKey));
        return streamIds.filter((_, i) => {
          const item = parseStreamItem(items[i]);
          return item !== undefined && streamAction(item) !== null;
        });
      }),
    acquire: (lane, limit, nowMs) =>
      unavailableOnFailure(async () => {
        const { intervalMs, burst } = paceOf(limit);
        return Number(await redis.eval(ACQUIRE, 1, k.rate(lane), String(nowMs), String(intervalMs), String(intervalMs * (burst - 1))));
      }),
    unliftedRules: (roomId, userIds, nowMs) =>
      unavailableOnFailure(async () => {
        if (userIds.length === 0) return [];
        const items = await redis.hmget(k.items, ...userIds.map((u) => ruleKey(roomId, u)));
        return userIds.filter((_, i) => {
          const item = parseRuleItem(items[i]);
          return item !== undefined && ruleLifting(item, nowMs);
        });
      }),
    rulesInForce: (nowMs) => unavailableOnFailure(() => redis.zcount(k.force, `(${nowMs}`, "+inf")),
    adoptRules: (list, nowMs) =>
      unavailableOnFailure(async () => {
        if (list.length === 0) return 0;
        const rooms = [...new Set(list.map((r) => r.roomId))];
        const rows = list.map((r) => [rooms.indexOf(r.roomId) + 3, r.roomId, r.userId, r.privileges, r.untilMs]);
        return Number(await redis.eval(ADOPT_RULES, 2 + rooms.length, k.items, k.force, ...rooms.map(k.rules), String(nowMs), JSON.stringify(rows)));
      }),
    backlog: () =>
      unavailableOnFailure(async () => {
        const counts = await Promise.all((["media", "room", "rule"] as const).map((lane) => redis.zcard(k.due(lane))));
        return counts.reduce((x, y) => x + y, 0);
      }),
    view: (roomId) =>
      unavailableOnFailure(async () => {
        const rec = await read(roomId);
        const items = rec.banned.length === 0 ? [] : await redis.hmget(k.items, ...rec.banned.map((b) => streamKey(b.streamId)));
        return {
          liveStreams: [...rec.live].sort((x, y) => (x.streamId < y.streamId ? -1 : 1)),
          bannedStreamIds: rec.banned.flatMap((b, i) => (streamConfirmedBanned(parseStreamItem(items[i])) ? [b.streamId] : [])).sort(),
        };
      }),
    // The connection belongs to the backends.
    async stop() {},
  };
}
