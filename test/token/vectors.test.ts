import { describe, expect, it } from "vitest";
import { nodeTokenCodec, TokenError } from "../../src/index.js";
import { webTokenCodec } from "../../src/token/web-crypto.js";
import { loadVectors } from "../helpers/vectors.js";

const vectors = loadVectors();

// Both crypto backends behind the one codec interface; `await` settles the synchronous one too.
for (const [backend, codec] of [
  ["node:crypto", nodeTokenCodec],
  ["WebCrypto", webTokenCodec],
] as const) {
  describe(`token04 vectors from the official generators, ${backend} backend`, () => {
    it("has vectors of both modes and of every error code it expects", () => {
      expect(vectors.valid.length).toBeGreaterThanOrEqual(9);
      expect(new Set(vectors.valid.map((v) => v.mode))).toEqual(new Set(["gcm", "cbc"]));
      expect(vectors.invalid.length).toBeGreaterThanOrEqual(14);
    });

    for (const v of vectors.valid) {
      it(`decodes ${v.source} (${v.plaintext["user_id"] as string}, ${v.privilege ? "privilege" : "basic"})`, async () => {
        const decoded = await codec.decode(v.token, { secret: vectors.secret, now: v.now });
        expect(decoded.mode).toBe(v.mode);
        expect(decoded.plaintext).toEqual(v.plaintext);
        expect(decoded.appId).toBe(v.plaintext["app_id"]);
        expect(decoded.userId).toBe(v.plaintext["user_id"]);
        expect(decoded.nonce).toBe(v.plaintext["nonce"]);
        expect(decoded.issuedAt).toBe(v.plaintext["ctime"]);
        expect(decoded.expiresAt).toBe(v.expire);
        expect(decoded.payload).toBe(v.plaintext["payload"]);
        if (v.privilege === null) {
          expect(decoded.privilege).toBeNull();
        } else {
          expect(JSON.parse(decoded.payload)).toEqual(v.privilege);
          const p = v.privilege as { room_id: string; privilege: Record<string, number>; stream_id_list: string[] | null };
          expect(decoded.privilege).toEqual({
            roomId: p.room_id,
            canLoginRoom: p.privilege["1"] === 1,
            canPublish: p.privilege["2"] === 1,
            streamIds: p.stream_id_list,
          });
        }
        const verified = await codec.verify(v.token, {
          secret: vectors.secret,
          appId: vectors.appId,
          userId: v.plaintext["user_id"] as string,
          now: v.now,
        });
        expect(verified.userId).toBe(v.plaintext["user_id"]);
      });
    }

    for (const v of vectors.invalid) {
      it(`rejects "${v.why}" with ${v.error}`, async () => {
        let caught: unknown;
        try {
          await codec.decode(v.token, { secret: v.secret ?? vectors.secret, now: v.now });
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(TokenError);
        expect((caught as TokenError).code).toBe(v.error);
      });
    }
  });
}
