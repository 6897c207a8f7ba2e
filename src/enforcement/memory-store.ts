import type { StreamCallbackEvent } from "../zego/callback.js";
import { EMPTY_RECORD, foreignOf, type EnforcementRecord, type EnforcementWrite, type Kick } from "./plan.js";
import { CLOSED_TTL_MS, paceOf, REPLAY_TTL_MS, type ClaimedWork, type EnforcementStore, type Lane, type WorkItem } from "./store.js";
import { createMemoryRules } from "./memory-rules.js";
import { RULE_LIMITS } from "./rule-item.js";
import { byDue, kickKey, streamAction, streamConfirmedBanned, streamForgettable, streamKey, type KickItem, type StreamItem } from "./work-item.js";

interface RoomRecord {
  revision: number;
  version: number;
  allowed: readonly string[];
  anyUsers: readonly string[];
}

const SCAN = 100;

/** An in-process {@link EnforcementStore} for a single instance (lost on restart, like the memory room store). */
export function createMemoryEnforcementStore(): EnforcementStore {
  const records = new Map<string, RoomRecord>();
  const live = new Map<string, Map<string, { userId: string; sinceMs: number }>>();
  const closed = new Map<string, Map<string, number>>();
  const banned = new Map<string, Map<string, string | null>>();
  const streams = new Map<string, StreamItem>();
  const kicks = new Map<string, KickItem>();
  const due: Record<"media" | "room", Map<string, number>> = { media: new Map(), room: new Map() };
  const paces: Record<Lane, number> = { media: 0, room: 0, rule: 0 };
  const rules = createMemoryRules();
  const intents = new Map<string, { ticket: number; atMs: number }>();
  const replays = new Map<string, number>();
  const namedBy = new Map<string, number>();
  let ticket = 0;
  let sequence = 0;

  const inner = <K, V>(map: Map<string, Map<K, V>>, roomId: string) => {
    let m = map.get(roomId);
    if (m === undefined) map.set(roomId, (m = new Map()));
    return m;
  };
  const record = (roomId: string): RoomRecord => records.get(roomId) ?? { revision: 0, version: -1, allowed: [], anyUsers: [] };
  const bump = (roomId: string) => {
    const r = record(roomId);
    records.set(roomId, { ...r, revision: r.revision + 1 });
  };
  const schedule = (lane: "media" | "room", key: string, atMs: number) => {
    const current = due[lane].get(key);
    due[lane].set(key, current === undefined ? atMs : Math.min(current, atMs));
  };
  // After a wanted-state change: queue the stream if it needs a call, forget it if it holds nothing.
  const touchStream = (streamId: string, item: StreamItem, hadWork: boolean, nowMs: number) => {
    const key = streamKey(streamId);
    if (streamAction(item) !== null) {
      if (!hadWork) item.q = nowMs;
      streams.set(streamId, item);
      if (item.c === "") schedule("media", key, nowMs);
    } else if (item.c === "") {
      due.media.delete(key);
      if (streamForgettable(item)) streams.delete(streamId);
      else streams.set(streamId, item);
    } else streams.set(streamId, item);
  };
  const queueKicks = (roomId: string, list: readonly Kick[], nowMs: number) => {
    for (const k of list) {
      const key = kickKey(roomId, k.userId);
      if (!kicks.has(key)) kicks.set(key, { r: roomId, u: k.userId, why: k.reason, at: 0, q: nowMs, c: "" });
      if (kicks.get(key)?.c === "") schedule("room", key, nowMs);
    }
  };

  const store: EnforcementStore = {
    async intend(roomId, nowMs) {
      ticket += 1;
      intents.set(roomId, { ticket, atMs: nowMs });
      return ticket;
    },
    async staleIntents(beforeMs, max) {
      const out: Array<{ roomId: string; ticket: number }> = [];
      for (const [roomId, i] of intents) if (i.atMs < beforeMs && out.length < max) out.push({ roomId, ticket: i.ticket });
      return out;
    },
    async read(roomId): Promise<EnforcementRecord> {
      const r = records.get(roomId);
      const roomRules = rules.read(roomId);
      if (r === undefined && !live.has(roomId) && !banned.has(roomId) && roomRules.length === 0) return EMPTY_RECORD;
      const rec = record(roomId);
      const ids = [...new Set([...rec.allowed, ...(banned.get(roomId)?.keys() ?? []), ...(live.get(roomId)?.keys() ?? [])])];
      return {
        ...rec,
        rules: roomRules,
        foreign: foreignOf(ids, (id) => namedBy.get(id) ?? 0, rec.allowed),
        banned: [...(banned.get(roomId) ?? new Map<string, string | null>())].map(([streamId, userId]) => ({ streamId, userId })),
        live: [...(live.get(roomId) ?? new Map<string, { userId: string; sinceMs: number }>())].map(([streamId, l]) => ({ streamId, ...l })),
      };
    },
    async commit(roomId, expectedRevision, write: EnforcementWrite, t, nowMs) {
      const rec = record(roomId);
      if (rec.revision !== expectedRevision) return false;
      records.set(roomId, { revision: rec.revision + 1, version: write.version, allowed: write.allowed, anyUsers: write.anyUsers });
      const roomBans = inner(banned, roomId);
      const set = (streamId: string, change: Partial<StreamItem>) => {
        const item = streams.get(streamId) ?? { r: roomId, d: 0, a: -1, b: 0, at: 0, q: nowMs, c: "" };
        touchStream(streamId, { ...item, ...change }, streams.has(streamId) && streamAction(item) !== null, nowMs);
      };
      // An ID some room's allow-list names belongs to that room: another room never bans it (the Lua mirrors this).
      const [was, is] = [new Set(rec.allowed), new Set(write.allowed)];
      for (const x of was) {
        const n = is.has(x) ? -1 : (namedBy.get(x) ?? 1) - 1;
        if (n > 0) namedBy.set(x, n);
        else if (n === 0) namedBy.delete(x);
      }
      for (const x of is) {
        if (was.has(x)) continue;
        namedBy.set(x, (namedBy.get(x) ?? 0) + 1);
        if (streams.get(x)?.d === 1) set(x, { d: 0 });
      }
      for (const b of write.ban) {
        if ((namedBy.get(b.streamId) ?? 0) > 0) {
          if (b.userId !== null) set(b.streamId, { r: roomId, b: 1 });
          continue;
        }
        roomBans.set(b.streamId, b.userId);
        set(b.streamId, { r: roomId, d: 1 });
      }
      for (const s of write.unban) {
        roomBans.delete(s);
        const item = streams.get(s);
        if (item !== undefined) touchStream(s, { ...item, d: 0 }, streamAction(item) !== null, nowMs);
      }
      for (const s of write.bounce) set(s, { r: roomId, b: 1 });
      const roomLive = live.get(roomId);
      for (const s of write.dropLive) roomLive?.delete(s);
      queueKicks(roomId, write.kick, nowMs);
      rules.apply(roomId, write.rules, nowMs);
      if (t !== null && intents.get(roomId)?.ticket === t) intents.delete(roomId);
      return true;
    },
    async useNonce(replayKey, nowMs) {
      if (replays.size > 10_000) for (const [k, exp] of replays) if (exp <= nowMs) replays.delete(k);
      const seen = replays.get(replayKey);
      if (seen !== undefined && seen > nowMs) return "replayed";
      replays.set(replayKey, nowMs + REPLAY_TTL_MS);
      return "fresh";
    },
    async enqueueKicks(roomId, list, nowMs) {
      queueKicks(roomId, list, nowMs);
    },
    async recordStream(event: StreamCallbackEvent, replayKey, nowMs) {
      if ((await store.useNonce(replayKey, nowMs)) === "replayed") return "replayed";
      const roomLive = inner(live, event.roomId);
      const roomClosed = inner(closed, event.roomId);
      if (event.kind === "create") {
        const closedAt = roomClosed.get(event.streamId);
        if (closedAt === undefined || closedAt < event.atMs) roomLive.set(event.streamId, { userId: event.userId, sinceMs: event.atMs });
      } else {
        const current = roomLive.get(event.streamId);
        if (current !== undefined && current.sinceMs <= event.atMs) roomLive.delete(event.streamId);
        roomClosed.set(event.streamId, event.atMs);
        for (const [s, at] of roomClosed) if (at < nowMs - CLOSED_TTL_MS) roomClosed.delete(s);
      }
      bump(event.roomId);
      return "recorded";
    },
    async claim(lane, max, nowMs, leaseMs, token, ruleCap = RULE_LIMITS.cap) {
      if (lane === "rule") return rules.claim(nowMs, leaseMs, token, ruleCap);
      const ready = [...due[lane]].filter(([, at]) => at <= nowMs).sort(byDue).slice(0, SCAN);
      let action: ClaimedWork["action"] | undefined;
      let room: string | null = null;
      const items: WorkItem[] = [];
      for (const [key] of ready) {
        if (items.length >= max) break;
        if (lane === "media") {
          const streamId = key.slice(2);
          const item = streams.get(streamId);
          const act = item === undefined ? null : streamAction(item);
          if (item === undefined || act === null) {
            due.media.delete(key);
            if (item !== undefined && streamForgettable(item)) streams.delete(streamId);
            continue;
          }
          if (item.s === 1 && items.length > 0) continue;
          action ??= act;
          if (act !== action) continue;
          items.push({ key, id: streamId, roomId: item.r, enqueuedAtMs: item.q, attempts: item.at });
          streams.set(streamId, { ...item, c: token, a: act === "forbid" ? 2 : 3 });
        } else {
          const item = kicks.get(key);
          if (item === undefined) {
            due.room.delete(key);
            continue;
          }
          if (item.s === 1 && items.length > 0) continue;
          room ??= item.r;
          action = "kick";
          if (item.r !== room) continue;
          items.push({ key, id: item.u, roomId: item.r, enqueuedAtMs: item.q, attempts: item.at });
          kicks.set(key, { ...item, c: token });
        }
        due[lane].set(key, nowMs + leaseMs);
        if ((lane === "media" ? streams.get(key.slice(2))?.s : kicks.get(key)?.s) === 1) break;
      }
      if (items.length === 0 || action === undefined) {
        let next: number | null = null;
        for (const at of due[lane].values()) next = next === null ? at : Math.min(next, at);
        return { nextDueMs: next };
      }
      sequence = Math.max(nowMs, sequence + 1);
      return { lane, action, token, sequence, roomId: lane === "room" ? room : null, items };
    },
    async settle(work, outcome, nowMs) {
      if (work.lane === "rule") return rules.settle(work, outcome, nowMs);
      for (const w of work.items) {
        if (work.lane === "room") {
          const item = kicks.get(w.key);
          if (item === undefined || item.c !== work.token) continue;
          if (outcome.kind === "retry") {
            kicks.set(w.key, { ...item, c: "", at: item.at + 1 });
            due.room.set(w.key, outcome.dueMs);
          } else if (outcome.kind === "split") {
            kicks.set(w.key, { ...item, c: "", s: 1 });
            due.room.set(w.key, nowMs);
          } else {
            kicks.delete(w.key);
            due.room.delete(w.key);
          }
          continue;
        }
        const item = streams.get(w.id);
        if (item === undefined || item.c !== work.token) continue;
        if (outcome.kind === "retry") {
          streams.set(w.id, { ...item, c: "", at: item.at + 1 });
          due.media.set(w.key, outcome.dueMs);
        } else if (outcome.kind === "split") {
          streams.set(w.id, { ...item, c: "", s: 1 });
          due.media.set(w.key, nowMs);
        } else if (outcome.kind === "drop") {
          streams.delete(w.id);
          due.media.delete(w.key);
        } else {
          const next: StreamItem = work.action === "forbid" ? { ...item, a: 1, b: 0, c: "", at: 0, s: 0 } : { ...item, a: 0, c: "", at: 0, s: 0 };
          if (streamAction(next) === null) {
            due.media.delete(w.key);
            if (streamForgettable(next)) streams.delete(w.id);
            else streams.set(w.id, next);
          } else {
            streams.set(w.id, next);
            due.media.set(w.key, nowMs);
          }
        }
      }
    },
    async unsettled(streamIds) {
      return streamIds.filter((s) => {
        const item = streams.get(s);
        return item !== undefined && streamAction(item) !== null;
      });
    },
    async acquire(lane, limit, nowMs) {
      const { intervalMs, burst } = paceOf(limit);
      const tolerance = intervalMs * (burst - 1);
      const tat = paces[lane];
      if (nowMs < tat - tolerance) return Math.ceil(tat - tolerance - nowMs);
      paces[lane] = Math.max(tat, nowMs) + intervalMs;
      return 0;
    },
    async unliftedRules(roomId, userIds, nowMs) {
      return rules.unlifted(roomId, userIds, nowMs);
    },
    async rulesInForce(nowMs) {
      return rules.inForce(nowMs);
    },
    async adoptRules(list, nowMs) {
      return rules.adopt(list, nowMs);
    },
    async backlog() {
      return due.media.size + due.room.size + rules.backlog();
    },
    async view(roomId) {
      const rec = await store.read(roomId);
      return {
        liveStreams: [...rec.live].sort((x, y) => (x.streamId < y.streamId ? -1 : 1)),
        bannedStreamIds: rec.banned.flatMap((b) => (streamConfirmedBanned(streams.get(b.streamId)) ? [b.streamId] : [])).sort(),
      };
    },
    async stop() {
      for (const m of [records, live, closed, banned, streams, kicks, intents, replays, namedBy]) m.clear();
      rules.clear();
    },
  };
  return store;
}
