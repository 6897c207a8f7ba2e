import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildPrivilegePayload,
  decodeToken04,
  encodeToken04,
  InvalidArgumentError,
  TokenError,
  TokenErrorCode,
  verifyToken04,
} from "../../src/index.js";
import { fieldOf as fieldOfError } from "../helpers/errors.js";

const secret = "0123456789abcdef0123456789abcdef";
const appId = 1234567;
const now = 1_800_000_000;

const idChar = fc.constantFrom(..."abcXYZ019~!@#$%^&*()_+=-`;',.<>/\\".split(""));
const userId = fc.string({ unit: idChar, minLength: 1, maxLength: 64 });
const roomId = fc.string({ unit: idChar, minLength: 1, maxLength: 128 });
const streamId = fc.string({ unit: fc.constantFrom(..."aZ09-_".split("")), minLength: 1, maxLength: 256 });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TokenError || e instanceof InvalidArgumentError) return e.code;
    throw e;
  }
  return "NO_ERROR";
}

const fieldOf = (fn: () => unknown) => fieldOfError(fn, InvalidArgumentError);

describe("encodeToken04 / decodeToken04 round trips", () => {
  it("returns the inputs for generated users, rooms, streams and both modes", () => {
    fc.assert(
      fc.property(
        userId,
        fc.option(fc.record({ roomId, canLoginRoom: fc.boolean(), canPublish: fc.boolean(), streamIds: fc.option(fc.array(streamId, { minLength: 1, maxLength: 5 })) })),
        fc.integer({ min: 1, max: 86400 * 365 }),
        fc.constantFrom("gcm" as const, "cbc" as const),
        (user, privilege, ttl, mode) => {
          const payload = privilege === null ? "" : buildPrivilegePayload(privilege);
          const token = encodeToken04({ appId, userId: user, secret, effectiveTimeInSeconds: ttl, payload, mode }, { now });
          const decoded = decodeToken04(token, { secret, now });
          expect(decoded.mode).toBe(mode);
          expect(decoded.appId).toBe(appId);
          expect(decoded.userId).toBe(user);
          expect(decoded.issuedAt).toBe(now);
          expect(decoded.expiresAt).toBe(now + ttl);
          expect(decoded.payload).toBe(payload);
          expect(decoded.privilege).toEqual(privilege);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lays out GCM and CBC tokens exactly as DESIGN §1", () => {
    const gcm = Buffer.from(encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now }).slice(2), "base64");
    expect(gcm.readBigInt64BE(0)).toBe(BigInt(now + 60));
    expect(gcm.readUInt16BE(8)).toBe(12);
    const gcmCt = gcm.readUInt16BE(22);
    expect(gcm.length).toBe(24 + gcmCt + 1);
    expect(gcm[gcm.length - 1]).toBe(1);

    const cbc = Buffer.from(encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60, mode: "cbc" }, { now }).slice(2), "base64");
    expect(cbc.readUInt16BE(8)).toBe(16);
    const cbcCt = cbc.readUInt16BE(26);
    expect(cbcCt % 16).toBe(0);
    expect(cbc.length).toBe(28 + cbcCt);
  });

  it("uses a fresh nonce and a random int32 for every token", () => {
    const a = decodeToken04(encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now }), { secret, now });
    const b = decodeToken04(encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now }), { secret, now });
    expect(a.nonce).not.toBe(b.nonce);
    expect(Number.isInteger(a.nonce) && a.nonce >= -(2 ** 31) && a.nonce < 2 ** 31).toBe(true);
  });

  it("takes injected randomness", () => {
    const zeros = (n: number) => Buffer.alloc(n);
    const t1 = encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now, randomBytes: zeros });
    const t2 = encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now, randomBytes: zeros });
    expect(t1).toBe(t2);
    expect(decodeToken04(t1, { secret, now }).nonce).toBe(0);
  });
});

describe("decodeToken04 on hostile input", () => {
  it("only ever throws TokenError for random strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.base64String().map((s) => `04${s}`)), (input) => {
        const code = codeOf(() => decodeToken04(input, { secret, now }));
        expect(Object.values(TokenErrorCode)).toContain(code);
      }),
      { numRuns: 2000 },
    );
  });

  it("only ever throws TokenError for random bytes behind the 04 prefix", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const code = codeOf(() => decodeToken04(`04${Buffer.from(bytes).toString("base64")}`, { secret, now }));
        expect(Object.values(TokenErrorCode)).toContain(code);
      }),
      { numRuns: 2000 },
    );
  });

  it("only ever throws TokenError for mutated real tokens", () => {
    const token = encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60, payload: buildPrivilegePayload({ roomId: "r", canLoginRoom: true, canPublish: true, streamIds: null }) }, { now });
    const bytes = Buffer.from(token.slice(2), "base64");
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const copy = Buffer.from(bytes);
        copy[at] = (copy[at] ?? 0) ^ xor;
        const code = codeOf(() => decodeToken04(`04${copy.toString("base64")}`, { secret, now }));
        expect(code).not.toBe("NO_ERROR");
        expect(Object.values(TokenErrorCode)).toContain(code);
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects non-strings, huge strings and non-canonical base64", () => {
    expect(codeOf(() => decodeToken04(42, { secret, now }))).toBe("TOKEN_MALFORMED");
    expect(codeOf(() => decodeToken04(null, { secret, now }))).toBe("TOKEN_MALFORMED");
    expect(codeOf(() => decodeToken04(`04${"A".repeat(1_000_000)}`, { secret, now }))).toBe("TOKEN_MALFORMED");
    expect(codeOf(() => decodeToken04("0", { secret, now }))).toBe("TOKEN_MALFORMED");
    expect(codeOf(() => decodeToken04("05AAAA", { secret, now }))).toBe("TOKEN_UNSUPPORTED_VERSION");
    // Token lengths vary with the random nonce: try enough user IDs that one token surely ends in padding.
    const padded = Array.from({ length: 40 }, (_, i) => "u".repeat(i + 1)).map((userId) => encodeToken04({ appId, userId, secret, effectiveTimeInSeconds: 60 }, { now })).find((t) => t.endsWith("="));
    expect(padded).toBeDefined();
    const token = padded as string;
    expect(codeOf(() => decodeToken04(token, { secret, now }))).toBe("NO_ERROR");
    expect(codeOf(() => decodeToken04(token.replace(/=+$/, ""), { secret, now }))).toBe("TOKEN_MALFORMED");
    expect(codeOf(() => decodeToken04(`${token}\n`, { secret, now }))).toBe("TOKEN_MALFORMED");
  });

  it("gives the same generic message for every decryption failure", () => {
    const token = encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now });
    const messages = new Set<string>();
    for (const other of ["X".repeat(32), "Y".repeat(32)]) {
      try {
        decodeToken04(token, { secret: other, now });
      } catch (e) {
        messages.add((e as Error).message);
      }
    }
    expect(messages.size).toBe(1);
  });

  it("is expired exactly at expire", () => {
    const token = encodeToken04({ appId, userId: "u", secret, effectiveTimeInSeconds: 60 }, { now });
    expect(decodeToken04(token, { secret, now: now + 59 }).expiresAt).toBe(now + 60);
    expect(codeOf(() => decodeToken04(token, { secret, now: now + 60 }))).toBe("TOKEN_EXPIRED");
  });
});

describe("validation at the boundaries", () => {
  const base = { appId, userId: "u", secret, effectiveTimeInSeconds: 60 };
  const enc = (over: Partial<typeof base> & Record<string, unknown>) => () => encodeToken04({ ...base, ...over } as typeof base, { now });

  it("userId: 64 bytes pass, 65 fail, empty fails, non-ASCII fails, space fails", () => {
    expect(() => enc({ userId: "a".repeat(64) })()).not.toThrow();
    expect(fieldOf(enc({ userId: "a".repeat(65) }))).toBe("userId");
    expect(fieldOf(enc({ userId: "" }))).toBe("userId");
    expect(fieldOf(enc({ userId: "é" }))).toBe("userId");
    expect(fieldOf(enc({ userId: "a b" }))).toBe("userId");
    expect(fieldOf(enc({ userId: "a\"b" }))).toBe("userId");
  });

  it("userId and roomId accept each of ZEGO's special characters", () => {
    for (const ch of "~!@#$%^&*()_+=-`;',.<>/\\") {
      expect(() => enc({ userId: `a${ch}` })()).not.toThrow();
      expect(() => buildPrivilegePayload({ roomId: `r${ch}`, canLoginRoom: true, canPublish: false, streamIds: null })).not.toThrow();
    }
    for (const ch of " \"?:[]{}|\t\n") {
      expect(fieldOf(enc({ userId: `a${ch}` }))).toBe("userId");
    }
  });

  it("roomId: 128 bytes pass, 129 fail", () => {
    const p = (roomId: string) => () => buildPrivilegePayload({ roomId, canLoginRoom: true, canPublish: false, streamIds: null });
    expect(p("r".repeat(128))).not.toThrow();
    expect(fieldOf(p("r".repeat(129)))).toBe("roomId");
    expect(fieldOf(p("ルーム"))).toBe("roomId");
  });

  it("streamId: 256 bytes pass, 257 fail, only letters, digits, - and _", () => {
    const p = (id: string) => () => buildPrivilegePayload({ roomId: "r", canLoginRoom: true, canPublish: true, streamIds: ["ok", id] });
    expect(p("s".repeat(256))).not.toThrow();
    expect(fieldOf(p("s".repeat(257)))).toBe("streamIds[1]");
    expect(fieldOf(p("a.b"))).toBe("streamIds[1]");
    expect(fieldOf(p("ü"))).toBe("streamIds[1]");
    expect(p("a-b_C9")).not.toThrow();
  });

  it("appId must be an integer in 1..2^32-1", () => {
    expect(() => enc({ appId: 0xffffffff })()).not.toThrow();
    for (const bad of [0, -1, 2 ** 32, 1.5, Number.NaN, "1"]) expect(fieldOf(enc({ appId: bad as number }))).toBe("appId");
  });

  it("secret must be exactly 32 bytes", () => {
    for (const bad of ["", "a".repeat(31), "a".repeat(33), "é".repeat(16) + "a"]) expect(fieldOf(enc({ secret: bad }))).toBe("secret");
  });

  it("effectiveTimeInSeconds must be a positive integer", () => {
    for (const bad of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(fieldOf(enc({ effectiveTimeInSeconds: bad }))).toBe("effectiveTimeInSeconds");
    }
  });

  it("mode must be gcm or cbc", () => {
    expect(fieldOf(enc({ mode: "ecb" }))).toBe("mode");
  });
});

describe("verifyToken04", () => {
  const privileged = (p: { canLoginRoom: boolean; canPublish: boolean; streamIds: string[] | null }) =>
    encodeToken04({ appId, userId: "alice", secret, effectiveTimeInSeconds: 600, payload: buildPrivilegePayload({ roomId: "room1", ...p }) }, { now });
  const verify = (token: string, opts: Record<string, unknown> = {}) => () => verifyToken04(token, { secret, appId, now, ...opts });

  it("passes a token that allows what is asked", () => {
    const token = privileged({ canLoginRoom: true, canPublish: true, streamIds: ["s1"] });
    expect(verifyToken04(token, { secret, appId, now, userId: "alice", roomId: "room1", streamId: "s1" }).userId).toBe("alice");
  });

  it("gives each mismatch its code and ZEGO error code", () => {
    const token = privileged({ canLoginRoom: true, canPublish: false, streamIds: null });
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ appId: appId + 1 }, "TOKEN_APP_MISMATCH", 1002076],
      [{ userId: "bob" }, "TOKEN_USER_MISMATCH", 1002077],
      [{ roomId: "room2" }, "TOKEN_ROOM_MISMATCH", 1002033],
      [{ roomId: "room1", publish: true }, "TOKEN_PUBLISH_DENIED", 1003072],
      [{ now: now + 600 }, "TOKEN_EXPIRED", 1002078],
    ];
    for (const [opts, code, zego] of cases) {
      try {
        verify(token, opts)();
        expect.unreachable(code);
      } catch (e) {
        expect((e as TokenError).code).toBe(code);
        expect((e as TokenError).zegoErrorCode).toBe(zego);
      }
    }
  });

  it("denies login when privilege 1 is 0 and streams outside the allow-list", () => {
    expect(codeOf(verify(privileged({ canLoginRoom: false, canPublish: true, streamIds: null }), { roomId: "room1" }))).toBe("TOKEN_LOGIN_DENIED");
    expect(codeOf(verify(privileged({ canLoginRoom: true, canPublish: true, streamIds: ["s1"] }), { roomId: "room1", streamId: "s2" }))).toBe("TOKEN_STREAM_DENIED");
    expect(codeOf(verify(privileged({ canLoginRoom: true, canPublish: true, streamIds: null }), { roomId: "room1", streamId: "any" }))).toBe("NO_ERROR");
  });

  it("never emits an empty stream list, and reads one as any stream (as ZEGO does)", () => {
    expect(fieldOf(() => buildPrivilegePayload({ roomId: "room1", canLoginRoom: true, canPublish: true, streamIds: [] }))).toBe("streamIds");
    const payload = JSON.stringify({ room_id: "room1", privilege: { "1": 1, "2": 1 }, stream_id_list: [] });
    const token = encodeToken04({ appId, userId: "alice", secret, effectiveTimeInSeconds: 600, payload }, { now });
    expect(decodeToken04(token, { secret, now }).privilege?.streamIds).toBeNull();
    expect(codeOf(verify(token, { roomId: "room1", streamId: "whatever" }))).toBe("NO_ERROR");
  });

  it("lets a basic token into any room, as ZEGO does", () => {
    const token = encodeToken04({ appId, userId: "alice", secret, effectiveTimeInSeconds: 600 }, { now });
    expect(codeOf(verify(token, { roomId: "anything", publish: true, streamId: "s" }))).toBe("NO_ERROR");
  });
});
