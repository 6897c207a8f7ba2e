import { describe, expect, it } from "vitest";
import { holdsCurrent, readHeldToken } from "../../src/renewal/held-token.js";
import { createRenewalHub } from "../../src/renewal/renewal-hub.js";
import type { RenewalStream } from "../../src/renewal/renewal-stream.js";
import { createMemoryEventBus } from "../../src/events/memory-bus.js";
import { silentLogger } from "../../src/log/logger.js";
import { buildPrivilegePayload, encodeToken04 } from "../../src/token/index.js";
import { RENEWAL_SECRET as SECRET, renewalSetup } from "../helpers/renewal.js";

const TIMING = { leadSeconds: 60, jitterSeconds: 30 };
const setup = () => renewalSetup({ tokenTtlSeconds: 600 });

/** The stream's next push, or "idle" when none comes within a few turns. */
async function pushOrIdle(stream: RenewalStream): Promise<unknown> {
  const pending = stream.next();
  const state = await Promise.race([pending.then((r) => r.value), new Promise((r) => setTimeout(() => r("idle"), 40))]);
  if (state === "idle") {
    await stream.return();
    await pending;
  }
  return state;
}

const now = (ms: number) => Math.floor(ms / 1000);

describe("readHeldToken", () => {
  const expect0 = { secret: SECRET, appId: 1, userId: "alice", roomId: "r" as string | null, nowSeconds: 1_800_000_000 };
  const mint = (over: { appId?: number; userId?: string; secret?: string; payload?: string; ttl?: number; now?: number } = {}) =>
    encodeToken04(
      {
        appId: over.appId ?? 1,
        userId: over.userId ?? "alice",
        secret: over.secret ?? SECRET,
        effectiveTimeInSeconds: over.ttl ?? 600,
        payload: over.payload ?? buildPrivilegePayload({ roomId: "r", canLoginRoom: true, canPublish: false, streamIds: null }),
      },
      { now: over.now ?? 1_800_000_000 },
    );

  it("accepts our own token for this app, user and room, with its times and rights", () => {
    expect(readHeldToken(mint(), expect0)).toEqual({
      held: { issuedAt: 1_800_000_000, expiresAt: 1_800_000_600, privilege: { canLoginRoom: true, canPublish: false, streamIds: null } },
    });
  });

  it("refuses, with a code and without throwing, whatever cannot stand for the client's token", () => {
    const cases: Array<[string, string]> = [
      ["garbage", "TOKEN_UNSUPPORTED_VERSION"],
      ["04!!!", "TOKEN_MALFORMED"],
      [mint({ secret: "ffffffffffffffffffffffffffffffff" }), "TOKEN_DECRYPT_FAILED"],
      [mint({ appId: 2 }), "TOKEN_APP_MISMATCH"],
      [mint({ userId: "bob" }), "TOKEN_USER_MISMATCH"],
      [mint({ payload: buildPrivilegePayload({ roomId: "other", canLoginRoom: true, canPublish: true, streamIds: null }) }), "TOKEN_ROOM_MISMATCH"],
      [mint({ payload: "" }), "HELD_WRONG_KIND"],
      [mint({ now: 1_799_999_000, ttl: 600 }), "TOKEN_EXPIRED"],
    ];
    for (const [token, code] of cases) expect(readHeldToken(token, expect0)).toEqual({ refused: code });
    // A room token shown on a basic-token subscription is the wrong kind too.
    expect(readHeldToken(mint(), { ...expect0, roomId: null })).toEqual({ refused: "HELD_WRONG_KIND" });
    expect("held" in readHeldToken(mint({ payload: "" }), { ...expect0, roomId: null })).toBe(true);
  });

  it("holdsCurrent: the same rights with more than the lead left; versions do not matter", () => {
    const held = { issuedAt: 1000, expiresAt: 1600, privilege: { canLoginRoom: true, canPublish: true, streamIds: ["a"] } };
    expect(holdsCurrent(held, { canLoginRoom: true, canPublish: true, streamIds: ["a"] }, 1_000_000, TIMING)).toBe(true);
    expect(holdsCurrent(held, { canLoginRoom: true, canPublish: true, streamIds: ["b"] }, 1_000_000, TIMING)).toBe(false);
    expect(holdsCurrent(held, { canLoginRoom: true, canPublish: true, streamIds: null }, 1_000_000, TIMING)).toBe(false);
    expect(holdsCurrent(held, { canLoginRoom: true, canPublish: true, streamIds: ["a"] }, 1_540_001, TIMING)).toBe(false);
  });
});

describe("a (re)subscription and the token the client holds", () => {
  it("without a held token: the current token at once (INITIAL), even right after issueToken", async () => {
    const { hub, issuer } = setup();
    await issuer.issue("alice", "r", 600);
    const stream = await hub.subscribe("alice", "r");
    expect(stream.owesInitial).toBe(true);
    expect((await stream.next()).value).toMatchObject({ reason: "INITIAL", token: { canPublish: false } });
    await stream.return();
  });

  it("with the current token: nothing now, and the renewal comes from that token's expiry, not from a newer record", async () => {
    const { hub, issuer, clock } = setup();
    const held = await issuer.issue("alice", "r", 600);
    clock.advance(100_000);
    // A later mint the client never received (its push was lost) moves the record, not the schedule.
    await issuer.issue("alice", "r", 600);
    const stream = await hub.subscribe("alice", "r", { heldToken: held.token });
    expect(stream.owesInitial).toBe(false);
    expect(await pushOrIdle(stream)).toBe("idle");
    const again = await hub.subscribe("alice", "r", { heldToken: held.token });
    // Renewed by the lead before the held token's expiry (jitter 0.5 of 30 s), not later.
    clock.advance(held.expiresAt * 1000 - 75_000 - clock.now() - 1);
    expect(await pushOrIdle(again)).toBe("idle");
    const late = await hub.subscribe("alice", "r", { heldToken: held.token });
    clock.advance(held.expiresAt * 1000 - 75_000 - clock.now());
    const push = (await late.next()).value;
    expect(push).toMatchObject({ reason: "EXPIRING" });
    await late.return();
  });

  it("with a token of other rights (a lost PRIVILEGE_CHANGED): the current one at once (RESYNC)", async () => {
    const { hub, issuer, rooms } = setup();
    const held = await issuer.issue("alice", "r", 600);
    await rooms.change("r", { kind: "grantPublish", userId: "alice", streamIds: ["a1"] });
    await issuer.issue("alice", "r", 600);
    const stream = await hub.subscribe("alice", "r", { heldToken: held.token });
    expect(stream.owesInitial).toBe(true);
    expect((await stream.next()).value).toMatchObject({ reason: "RESYNC", token: { canPublish: true, streamIds: ["a1"] } });
    await stream.return();
  });

  it("with a token within the renewal lead: a fresh one at once (EXPIRING)", async () => {
    const { hub, issuer, clock } = setup();
    const held = await issuer.issue("alice", "r", 600);
    clock.advance(541_000);
    const stream = await hub.subscribe("alice", "r", { heldToken: held.token });
    const push = (await stream.next()).value as { reason: string; token: { expiresAt: number } };
    expect(push.reason).toBe("EXPIRING");
    expect(push.token.expiresAt).toBe(now(clock.now()) + 600);
    await stream.return();
  });

  it("with an unusable token (another user's, another room's, garbage): the current one at once (INITIAL), no error", async () => {
    const { hub, issuer } = setup();
    const bobs = await issuer.issue("bob", "r", 600);
    const otherRoom = await issuer.issue("alice", "other", 600);
    for (const heldToken of [bobs.token, otherRoom.token, "04AAAA", "x".repeat(5000)]) {
      const stream = await hub.subscribe("alice", "r", { heldToken });
      expect((await stream.next()).value).toMatchObject({ reason: "INITIAL", token: { userId: "alice", roomId: "r" } });
      await stream.return();
    }
  });

  it("the answer depends on the token shown, not on which instance or record: two hubs on one store agree", async () => {
    const a = setup();
    const held = await a.issuer.issue("alice", "r", 600);
    const hubB = createRenewalHub({ issuer: a.issuer, bus: createMemoryEventBus(), clock: a.clock, logger: silentLogger });
    for (const hub of [a.hub, hubB]) {
      const stream = await hub.subscribe("alice", "r", { heldToken: held.token });
      expect(stream.owesInitial).toBe(false);
      await stream.return();
    }
    await hubB.stop();
  });
});
