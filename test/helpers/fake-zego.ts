import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A call the fake ZEGO server received. */
export interface FakeCall {
  readonly action: string;
  readonly streamIds: string[];
  readonly userIds: string[];
  readonly roomId: string | null;
  readonly sequence: number | null;
  readonly code: number;
  /** Wall-clock ms when it arrived (Date.now), to order against pushes. */
  readonly receivedAtMs: number;
  readonly query: URLSearchParams;
}

/** Options of {@link startFakeZego}. */
export interface FakeZegoOptions {
  readonly appId: number;
  readonly serverSecret: string;
  /** The fake's clock (unix ms) for the 10-minute window and rate limits; default Date.now. */
  readonly now?: () => number;
  /** Calls per second before it answers rate-limit codes; default ZEGO's (20 media, 50 room, 10 each rule API). */
  readonly limits?: { media: number; room: number; rule?: number };
  /** User ban rules of RuleType 4 in force at once; default ZEGO's 200. */
  readonly ruleCap?: number;
}

/** A user ban rule the fake holds (RuleType 4). */
export interface FakeRule {
  readonly roomId: string;
  readonly userId: string;
  readonly privileges: number[];
  readonly expiresAtMs: number;
}

/**
 * A stand-in for ZEGO's server API (`GET /?Action=...`). Like ZEGO it checks the signature
 * (md5(AppId + SignatureNonce + ServerSecret + Timestamp)), the 10-minute timestamp window, that
 * `Sequence` strictly increases per stream within 10 s, and answers rate-limit codes (30002 media,
 * 206 room) when called faster than the per-second limits.
 */
export interface FakeZego {
  readonly url: string;
  readonly calls: FakeCall[];
  /** Stream IDs banned now. */
  readonly banned: Set<string>;
  /** (roomId, userId) pairs kicked, as `room/user`. */
  readonly kicked: string[];
  /** User ban rules (RuleType 4) by `room/user`, expired ones included until deleted, as ZEGO lists them. */
  readonly rules: Map<string, FakeRule>;
  /** Rules in force now (not expired), and the most ever in force at once. */
  rulesInForce(): number;
  readonly maxRulesInForce: number;
  /** Counts of answers by kind. */
  readonly counts: { ok: number; rateLimited: number; badSignature: number; expired: number; sequenceViolations: number; refused: number };
  /**
   * IDs ZEGO refuses as bad parameters: a stream or user ID listed here makes the whole call answer its
   * code (e.g. 2) and change nothing, as ZEGO does with a batch holding one bad item.
   */
  readonly reject: Map<string, number>;
  /** User ban rules not enabled for the project: the rule APIs answer 9. */
  rulesDisabled: boolean;
  /** Down: every connection is destroyed without an answer (a network error for the client). */
  down: boolean;
  /** Hold: requests are kept open, unanswered, until released. */
  hold: boolean;
  /** Destroys the connections of held requests. */
  dropHeld(): void;
  /** Resolves once a call matching `predicate` arrived. */
  waitFor(predicate: (c: FakeCall) => boolean, timeoutMs?: number): Promise<FakeCall>;
  stop(): Promise<void>;
}

const MEDIA = new Set(["ForbidRTCStreams", "ResumeRTCStreams"]);
const RULE_APIS = new Set(["SetForbidUserRule", "DelForbidUserRule", "DescribeForbidUserRules"]);

/** Starts the fake on a free port. */
export async function startFakeZego(options: FakeZegoOptions): Promise<FakeZego> {
  const now = options.now ?? Date.now;
  const limits = options.limits ?? { media: 20, room: 50 };
  const windows: Record<string, number[]> = {};
  const ruleCap = options.ruleCap ?? 200;
  const lastSequence = new Map<string, { seq: number; atMs: number }>();
  const sockets = new Set<Socket>();
  const held: ServerResponse[] = [];
  const waiters: Array<{ predicate: (c: FakeCall) => boolean; resolve: (c: FakeCall) => void }> = [];
  let requestId = 1000;

  const fake: FakeZego = {
    url: "",
    calls: [],
    banned: new Set(),
    kicked: [],
    rules: new Map(),
    rulesInForce: () => [...fake.rules.values()].filter((r) => r.expiresAtMs > now()).length,
    maxRulesInForce: 0,
    reject: new Map(),
    rulesDisabled: false,
    counts: { ok: 0, rateLimited: 0, badSignature: 0, expired: 0, sequenceViolations: 0, refused: 0 },
    down: false,
    hold: false,
    dropHeld() {
      for (const res of held.splice(0)) res.socket?.destroy();
    },
    waitFor(predicate, timeoutMs = 5000) {
      const found = fake.calls.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake ZEGO: no matching call within ${timeoutMs} ms; calls: ${JSON.stringify(fake.calls.map((c) => [c.action, c.streamIds, c.userIds, c.code]))}`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (c) => {
            clearTimeout(timer);
            resolve(c);
          },
        });
      });
    },
    async stop() {
      fake.dropHeld();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const answer = (res: ServerResponse, code: number, message: string) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Code: code, Message: message, RequestId: requestId++, Data: {} }));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (fake.down) {
      req.socket.destroy();
      return;
    }
    const query = new URL(req.url ?? "/", "http://fake").searchParams;
    const action = query.get("Action") ?? "";
    const streamIds = query.getAll("StreamId[]");
    const userIds = query.getAll("UserId[]");
    const seqText = query.get("Sequence");
    const record = (code: number) => {
      const call: FakeCall = { action, streamIds, userIds, roomId: query.get("RoomId"), sequence: seqText === null ? null : Number(seqText), code, receivedAtMs: Date.now(), query };
      fake.calls.push(call);
      for (const w of [...waiters]) {
        if (w.predicate(call)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(call);
        }
      }
    };
    const appId = query.get("AppId");
    const nonce = query.get("SignatureNonce") ?? "";
    const timestamp = query.get("Timestamp") ?? "";
    const expected = createHash("md5").update(`${appId ?? ""}${nonce}${options.serverSecret}${timestamp}`).digest("hex");
    if (appId !== String(options.appId) || query.get("SignatureVersion") !== "2.0" || !/^[0-9a-f]{16}$/.test(nonce) || query.get("Signature") !== expected) {
      fake.counts.badSignature++;
      record(100000005);
      return answer(res, 100000005, "Signature error.");
    }
    if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) * 1000 - now()) > 10 * 60 * 1000) {
      fake.counts.expired++;
      record(100000004);
      return answer(res, 100000004, "Signature expired.");
    }
    if (fake.hold) {
      record(-1);
      held.push(res);
      return;
    }
    // Media APIs share one limit, KickoutUser has its own, and each rule API its own.
    const lane = MEDIA.has(action) ? "media" : RULE_APIS.has(action) ? action : "room";
    const limit = lane === "media" ? limits.media : lane === "room" ? limits.room : (limits.rule ?? 10);
    const t = now();
    const window = (windows[lane] ?? []).filter((x) => x > t - 1000);
    windows[lane] = window;
    if (window.length >= limit) {
      fake.counts.rateLimited++;
      const code = lane === "media" ? 30002 : 206;
      record(code);
      return answer(res, code, "Interface call frequency too high");
    }
    window.push(t);
    const refusedId = [...streamIds, ...userIds].find((id) => fake.reject.has(id));
    if (refusedId !== undefined) {
      const code = fake.reject.get(refusedId) ?? 2;
      fake.counts.refused++;
      record(code);
      return answer(res, code, `bad parameter: ${refusedId}`);
    }
    if (MEDIA.has(action)) {
      const seq = Number(seqText);
      if (streamIds.length < 1 || streamIds.length > 20 || !Number.isSafeInteger(seq)) {
        fake.counts.refused++;
        record(30006);
        return answer(res, 30006, "invalid StreamId list");
      }
      for (const s of streamIds) {
        const last = lastSequence.get(s);
        if (last !== undefined && t - last.atMs < 10_000 && seq <= last.seq) {
          fake.counts.sequenceViolations++;
          record(42001);
          return answer(res, 42001, "sequence not increasing");
        }
      }
      for (const s of streamIds) {
        lastSequence.set(s, { seq, atMs: t });
        if (action === "ForbidRTCStreams") fake.banned.add(s);
        else fake.banned.delete(s);
      }
    } else if (RULE_APIS.has(action)) {
      const result = fake.rulesDisabled ? { code: 9, message: "permission not granted" } : handleRule(action, query, t);
      record(result.code);
      if (result.code !== 0) {
        fake.counts.refused++;
        return answer(res, result.code, result.message);
      }
      fake.counts.ok++;
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Code: 0, Message: "success", RequestId: requestId++, Data: result.data }));
    } else if (action === "KickoutUser") {
      const roomId = query.get("RoomId");
      if (roomId === null || userIds.length < 1 || userIds.length > 5) {
        fake.counts.refused++;
        record(50011);
        return answer(res, 50011, "user list too long");
      }
      for (const u of userIds) fake.kicked.push(`${roomId}/${u}`);
    } else {
      fake.counts.refused++;
      record(100000007);
      return answer(res, 100000007, "Unsupported Action");
    }
    fake.counts.ok++;
    record(0);
    return answer(res, 0, "success");
  };

  // SetForbidUserRule / DelForbidUserRule / DescribeForbidUserRules, RuleType 4 only, as ZEGO checks them.
  const handleRule = (action: string, query: URLSearchParams, t: number): { code: number; message: string; data?: unknown } => {
    if (action === "DescribeForbidUserRules") {
      const type = query.get("RuleType") ?? "";
      if (!/^[1-4]$/.test(type)) return { code: 2, message: "RuleType must be 1-4" };
      const list = type !== "4" ? [] : [...fake.rules.values()].map((r) => ({ RuleType: 4, IP: "", RoomId: r.roomId, UserId: r.userId, DisabledPrivilegeList: r.privileges, ExpireTime: Math.floor(r.expiresAtMs / 1000) }));
      return { code: 0, message: "success", data: { RuleList: list } };
    }
    const roomId = query.get("RoomId") ?? "";
    const userId = query.get("UserId") ?? "";
    if (query.get("RuleType") !== "4" || roomId === "" || userId === "") return { code: 2, message: "RuleType 4 needs RoomId and UserId" };
    const key = `${roomId}/${userId}`;
    if (action === "DelForbidUserRule") {
      if (!fake.rules.delete(key)) return { code: 50124, message: "rule does not exist" };
      return { code: 0, message: "success" };
    }
    const privileges = query.getAll("DisabledPrivilege[]");
    const effective = query.get("EffectiveTime") ?? "";
    if (privileges.length === 0 || privileges.some((p) => p !== "1" && p !== "2") || new Set(privileges).size !== privileges.length) return { code: 2, message: "DisabledPrivilege must be 1 and/or 2" };
    if (!/^\d+$/.test(effective) || Number(effective) < 1 || Number(effective) > 86_400) return { code: 2, message: "EffectiveTime must be 1-86400" };
    const current = fake.rules.get(key);
    if ((current === undefined || current.expiresAtMs <= t) && fake.rulesInForce() >= ruleCap) return { code: 50123, message: "too many ban rules" };
    // A set for the same (room, user) replaces the rule.
    const expiresAtMs = t + Number(effective) * 1000;
    fake.rules.set(key, { roomId, userId, privileges: privileges.map(Number).sort(), expiresAtMs });
    (fake as { maxRulesInForce: number }).maxRulesInForce = Math.max(fake.maxRulesInForce, fake.rulesInForce());
    return { code: 0, message: "success", data: { ExpireTime: Math.floor(expiresAtMs / 1000) } };
  };

  const server = createServer(handle);
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
