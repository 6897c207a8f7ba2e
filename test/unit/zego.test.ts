import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackSignature, signServerApiRequest, verifyCallbackSignature } from "../../src/zego/signature.js";
import { parseCallbackBody, verifyCallback } from "../../src/zego/callback.js";
import { classifyZegoCode } from "../../src/zego/codes.js";
import { createZegoServerApi } from "../../src/zego/server-api.js";
import { startFakeZego, type FakeZego } from "../helpers/fake-zego.js";

const VECTOR = { appId: 12345, nonce: "4fd24687296dd9f3", secret: "9193cc662a4c0ec135ec71fb57194b38", timestamp: 1615186943 };

describe("ZEGO signatures", () => {
  it("signs server API requests like ZEGO's documentation vector", () => {
    expect(signServerApiRequest(VECTOR.appId, VECTOR.nonce, VECTOR.secret, VECTOR.timestamp)).toBe("43e5cfcca828314675f91b001390566a");
  });

  it("verifies callbacks like ZEGO's documentation vector", () => {
    expect(callbackSignature("secret", "1470820198", "123412")).toBe("5bd59fd62953a8059fb7eaba95720f66d19e4517");
    expect(verifyCallbackSignature("secret", "1470820198", "123412", "5BD59FD62953A8059FB7EABA95720F66D19E4517")).toBe(true);
    expect(verifyCallbackSignature("secret", "1470820198", "123413", "5bd59fd62953a8059fb7eaba95720f66d19e4517")).toBe(false);
    expect(verifyCallbackSignature("secret", "1470820198", "123412", "short")).toBe(false);
  });

  it("classifies answers: rate limits retried, auth failures never blindly, gone users done", () => {
    for (const code of [206, 207, 1010, 5007, 30002]) expect(classifyZegoCode("ForbidRTCStreams", code)).toBe("rate_limited");
    for (const code of [100000004, 100000005, 3, 5003, 40005]) expect(classifyZegoCode("KickoutUser", code)).toBe("auth_failed");
    expect(classifyZegoCode("KickoutUser", 105)).toBe("ok");
    expect(classifyZegoCode("ForbidRTCStreams", 105)).toBe("retry");
    expect(classifyZegoCode("ForbidRTCStreams", 30009)).toBe("rejected");
    expect(classifyZegoCode("ForbidRTCStreams", 0)).toBe("ok");
  });
});

describe("callback parsing and verification", () => {
  const secret = "cb-secret";
  const now = 1_700_000_000_000;
  const signed = (extra: Record<string, string>, ts = String(now / 1000), nonce = "777") => ({
    ...extra,
    timestamp: ts,
    nonce,
    signature: callbackSignature(secret, ts, nonce),
  });

  it("parses JSON, URL-encoded JSON and form bodies", () => {
    expect(parseCallbackBody('{"a":1}', "application/json")).toEqual({ a: 1 });
    expect(parseCallbackBody(encodeURIComponent('{"a":"x y"}'), "text/plain")).toEqual({ a: "x y" });
    expect(parseCallbackBody("a=1&b=x%20y", "application/x-www-form-urlencoded")).toEqual({ a: "1", b: "x y" });
    expect(parseCallbackBody("[1]", "application/json")).toBeUndefined();
    expect(parseCallbackBody("", "application/json")).toBeUndefined();
  });

  it("accepts a signed stream_create, refuses wrong signatures and timestamps more than 10 minutes off", () => {
    const fields = signed({ event: "stream_create", room_id: "r1", user_id: "u1", stream_id: "s1", create_time_ms: String(now - 5) });
    expect(verifyCallback(fields, secret, now)).toEqual({ replayKey: `${now / 1000}:777`, event: { kind: "create", roomId: "r1", userId: "u1", streamId: "s1", atMs: now - 5 } });
    expect(verifyCallback({ ...fields, signature: "0".repeat(40) }, secret, now)).toBe("BAD_SIGNATURE");
    expect(verifyCallback(fields, "other-secret", now)).toBe("BAD_SIGNATURE");
    expect(verifyCallback({ event: "stream_create" }, secret, now)).toBe("BAD_SIGNATURE");
    const old = signed({ event: "stream_close", room_id: "r1", user_id: "u1", stream_id: "s1" }, String(now / 1000 - 601));
    expect(verifyCallback(old, secret, now)).toBe("STALE_TIMESTAMP");
    const future = signed({ event: "stream_close", room_id: "r1", user_id: "u1", stream_id: "s1" }, String(now / 1000 + 601));
    expect(verifyCallback(future, secret, now)).toBe("STALE_TIMESTAMP");
    // Signed but invalid: still verified, so the caller uses its nonce up before refusing it.
    expect(verifyCallback(signed({ event: "stream_create", room_id: "r1", user_id: "u1", stream_id: "bad id" }), secret, now)).toMatchObject({ event: { kind: "invalid", name: "stream_create" } });
    expect(verifyCallback(signed({ event: "room_login" }), secret, now)).toMatchObject({ event: { kind: "invalid", name: "room_login" } });
    expect(verifyCallback(signed({ event: "room_login", room_id: "r1", user_account: "u1", session_id: "9" }), secret, now)).toEqual({ replayKey: `${now / 1000}:777`, event: { kind: "login", roomId: "r1", userId: "u1" } });
    expect(verifyCallback(signed({ event: "room_logout" }), secret, now)).toMatchObject({ event: { kind: "ignored", name: "room_logout" } });
  });
});

describe("ZEGO server API client against the fake", () => {
  let fake: FakeZego;
  let fakeNow = VECTOR.timestamp * 1000;
  beforeAll(async () => {
    fake = await startFakeZego({ appId: VECTOR.appId, serverSecret: VECTOR.secret, now: () => fakeNow });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("sends the documentation vector's signature, which the fake accepts", async () => {
    const api = createZegoServerApi({
      apiUrl: fake.url,
      appId: VECTOR.appId,
      serverSecret: VECTOR.secret,
      isTest: true,
      clock: { now: () => VECTOR.timestamp * 1000, setTimer: () => ({ cancel: () => undefined }) },
      randomBytes: () => Buffer.from(VECTOR.nonce, "hex"),
    });
    const result = await api.forbidStreams(["s1", "s2"], 1);
    expect(result).toMatchObject({ outcome: "ok", code: 0, status: 200 });
    expect(result.requestId).toMatch(/^\d+$/);
    const call = fake.calls.at(-1);
    expect(call?.query.get("Signature")).toBe("43e5cfcca828314675f91b001390566a");
    expect(call?.query.get("IsTest")).toBe("true");
    expect(call?.streamIds).toEqual(["s1", "s2"]);
    expect(fake.banned).toEqual(new Set(["s1", "s2"]));
  });

  it("gets signature errors for a wrong secret and expiry outside the 10-minute window; network errors are retryable", async () => {
    const clientNow = fakeNow;
    const clock = { now: () => clientNow, setTimer: () => ({ cancel: () => undefined }) };
    const wrong = createZegoServerApi({ apiUrl: fake.url, appId: VECTOR.appId, serverSecret: "x".repeat(32), isTest: false, clock });
    expect(await wrong.kickUsers("r", ["u"])).toMatchObject({ outcome: "auth_failed", code: 100000005 });
    const right = createZegoServerApi({ apiUrl: fake.url, appId: VECTOR.appId, serverSecret: VECTOR.secret, isTest: false, clock });
    fakeNow += 11 * 60 * 1000;
    expect(await right.kickUsers("r", ["u"])).toMatchObject({ outcome: "auth_failed", code: 100000004 });
    fakeNow -= 11 * 60 * 1000;
    expect(await right.kickUsers("r", ["u"])).toMatchObject({ outcome: "ok", code: 0 });
    fake.down = true;
    expect(await right.resumeStreams(["s1"], 5)).toMatchObject({ outcome: "retry", code: null, status: null });
    fake.down = false;
    expect(() => right.forbidStreams([], 1)).toThrow(RangeError);
    expect(() => right.kickUsers("r", ["1", "2", "3", "4", "5", "6"])).toThrow(RangeError);
  });

  it("user ban rules: RuleType 4 set (replacing), deleted, a missing one counts as deleted; the cap answers 50123", async () => {
    const clock = { now: () => fakeNow, setTimer: () => ({ cancel: () => undefined }) };
    const api = createZegoServerApi({ apiUrl: fake.url, appId: VECTOR.appId, serverSecret: VECTOR.secret, isTest: false, clock });
    expect(await api.setUserRule("room1", "u1", [1], 600)).toMatchObject({ outcome: "ok", code: 0 });
    const call = fake.calls.at(-1)!;
    expect([call.query.get("RuleType"), call.query.get("RoomId"), call.query.get("UserId"), call.query.getAll("DisabledPrivilege[]"), call.query.get("EffectiveTime")]).toEqual(["4", "room1", "u1", ["1"], "600"]);
    expect(await api.setUserRule("room1", "u1", [1, 2], 86_400)).toMatchObject({ outcome: "ok" });
    expect(fake.rules.get("room1/u1")).toMatchObject({ privileges: [1, 2], expiresAtMs: fakeNow + 86_400_000 });
    expect(await api.deleteUserRule("room1", "u1")).toMatchObject({ outcome: "ok", code: 0 });
    expect(await api.deleteUserRule("room1", "u1")).toMatchObject({ outcome: "ok", code: 50124 });
    expect(() => api.setUserRule("room1", "u1", [1], 86_401)).toThrow(RangeError);
    expect(() => api.setUserRule("room1", "u1", [], 60)).toThrow(RangeError);
    expect(classifyZegoCode("SetForbidUserRule", 50123)).toBe("retry");
    expect(classifyZegoCode("SetForbidUserRule", 9)).toBe("auth_failed");
  });
});
