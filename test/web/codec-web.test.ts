import { describe, expect, it } from "vitest";
import { BASIC_TOKEN_NOTE as LIBRARY_NOTE, buildPrivilegePayload, decodeToken04, encodeToken04, verifyToken04 } from "../../src/index.js";
import { BASIC_TOKEN_NOTE, decodeTokenWeb, encodeTokenWeb, TokenError, verifyTokenWeb } from "../../src/web/assistant/codec-web.js";
import { loadVectors } from "../helpers/vectors.js";

const vectors = loadVectors();
const secret = vectors.secret;

describe("the Token Assistant's WebCrypto codec", () => {
  it("runs on the WebCrypto global, not node:crypto", () => {
    expect(globalThis.crypto.subtle).toBeDefined();
  });

  for (const v of vectors.valid) {
    it(`decodes and verifies ${v.source} like the library`, async () => {
      const decoded = await decodeTokenWeb(v.token, { secret, now: v.now });
      const library = decodeToken04(v.token, { secret, now: v.now });
      expect(decoded.mode).toBe(v.mode);
      expect(decoded.plaintext).toEqual(v.plaintext);
      expect({ ...decoded, plaintext: null }).toEqual({ ...library, plaintext: null });
      const verdict = await verifyTokenWeb(v.token, { secret, appId: vectors.appId, userId: v.plaintext["user_id"] as string, now: v.now });
      expect(verdict.valid).toBe(true);
      expect(verdict.valid && verdict.restricted).toBe(v.privilege !== null);
    });
  }

  for (const v of vectors.invalid) {
    it(`rejects "${v.why}" with ${v.error}`, async () => {
      const caught = await decodeTokenWeb(v.token, { secret: v.secret ?? secret, now: v.now }).catch((e: unknown) => e);
      expect(caught).toBeInstanceOf(TokenError);
      expect((caught as TokenError).code).toBe(v.error);
      const verdict = await verifyTokenWeb(v.token, { secret: v.secret ?? secret, appId: vectors.appId, now: v.now });
      expect(verdict).toMatchObject({ valid: false, code: v.error, zegoErrorCode: (caught as TokenError).zegoErrorCode });
    });
  }

  for (const mode of ["gcm", "cbc"] as const) {
    it(`mints ${mode} tokens the library decodes, byte for byte as the library mints them`, async () => {
      const payload = buildPrivilegePayload({ roomId: "room-1", canLoginRoom: true, canPublish: true, streamIds: ["s1", "s_2"] });
      const fixed = (b: Uint8Array) => b.forEach((_, i) => (b[i] = (i * 37 + 11) & 0xff));
      const token = await encodeTokenWeb({ appId: 42, userId: "u\\1", secret, effectiveTimeInSeconds: 600, payload, mode, now: 1_800_000_000, randomFill: fixed });
      const decoded = decodeToken04(token, { secret, now: 1_800_000_001 });
      expect(decoded).toMatchObject({ mode, appId: 42, userId: "u\\1", issuedAt: 1_800_000_000, expiresAt: 1_800_000_600, payload });
      const expected = encodeToken04(
        { appId: 42, userId: "u\\1", secret, effectiveTimeInSeconds: 600, payload, mode },
        { now: 1_800_000_000, randomBytes: (n) => { const b = Buffer.alloc(n); fixed(b); return b; } },
      );
      expect(token).toBe(expected);
    });
  }

  it("gives the CLI's codes for every expectation", async () => {
    const now = 1_800_000_000;
    const mint = async (privilege: Parameters<typeof buildPrivilegePayload>[0] | null) =>
      encodeTokenWeb({ appId: 42, userId: "u1", secret, effectiveTimeInSeconds: 600, payload: privilege === null ? "" : buildPrivilegePayload(privilege), now });
    const room = await mint({ roomId: "r1", canLoginRoom: true, canPublish: true, streamIds: ["s1"] });
    const noPublish = await mint({ roomId: "r1", canLoginRoom: true, canPublish: false, streamIds: null });
    const noLogin = await mint({ roomId: "r1", canLoginRoom: false, canPublish: false, streamIds: null });
    const cases: Array<[string, Parameters<typeof verifyTokenWeb>[1]]> = [
      [room, { secret, appId: 43, now }],
      [room, { secret, appId: 42, userId: "u2", now }],
      [room, { secret, appId: 42, roomId: "r2", now }],
      [noLogin, { secret, appId: 42, roomId: "r1", now }],
      [noPublish, { secret, appId: 42, publish: true, now }],
      [room, { secret, appId: 42, streamId: "s2", now }],
      [room, { secret, appId: 42, streamId: "s1", now: now + 600 }],
      [room, { secret, appId: 42, roomId: "r1", streamId: "s1", userId: "u1", now }],
    ];
    for (const [token, options] of cases) {
      const web = await verifyTokenWeb(token, options);
      let library: { code: string; zegoErrorCode: number } | "valid";
      try {
        verifyToken04(token, options);
        library = "valid";
      } catch (e) {
        library = { code: (e as TokenError).code, zegoErrorCode: (e as TokenError).zegoErrorCode };
      }
      if (library === "valid") expect(web.valid).toBe(true);
      else expect(web).toMatchObject({ valid: false, ...library });
    }
    const basic = await mint(null);
    expect(await verifyTokenWeb(basic, { secret, appId: 42, roomId: "any", streamId: "any", now })).toMatchObject({ valid: true, restricted: false });
    expect(BASIC_TOKEN_NOTE).toBe(LIBRARY_NOTE);
  });

  it("reads an empty stream list as any stream", async () => {
    const payload = JSON.stringify({ room_id: "r1", privilege: { "1": 1, "2": 1 }, stream_id_list: [] });
    const token = await encodeTokenWeb({ appId: 42, userId: "u1", secret, effectiveTimeInSeconds: 60, payload, now: 1000 });
    expect((await decodeTokenWeb(token, { secret, now: 1001 })).privilege?.streamIds).toBeNull();
    expect(await verifyTokenWeb(token, { secret, appId: 42, streamId: "x", now: 1001 })).toMatchObject({ valid: true });
  });
});
