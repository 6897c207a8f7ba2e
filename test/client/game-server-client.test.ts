import { describe, expect, it } from "vitest";
import { createGameServerClient, TokenServiceError, type FetchLike } from "../../packages/client/src/index.js";
import { startTestServer, TEST_SECRETS } from "../helpers/server.js";

const ROOM = { roomId: "g", access: "OPEN", members: [], publishers: [{ userId: "u", streamIds: null }], hasPublishRules: true, version: 3 };

/** A fetch that answers from a script and records each request body. */
function scripted(answers: Array<"network" | { status: number; body: unknown }>): FetchLike & { bodies: unknown[] } {
  const bodies: unknown[] = [];
  const fn = async (_url: string, init: { body: string }) => {
    bodies.push(JSON.parse(init.body));
    const next = answers.shift();
    if (next === undefined || next === "network") throw new TypeError("fetch failed");
    return { status: next.status, json: async () => next.body };
  };
  return Object.assign(fn, { bodies });
}

/** Timers that fire at once, recording the requested waits. */
function instantClock(waits: number[]) {
  return { now: () => 0, setTimeout: (fn: () => void, ms: number) => (waits.push(ms), queueMicrotask(fn)), clearTimeout: () => undefined };
}

describe("createGameServerClient", () => {
  it("retries network errors and UNAVAILABLE with growing, jittered waits, then succeeds", async () => {
    const waits: number[] = [];
    const fetch = scripted(["network", { status: 503, body: { errors: [{ message: "down", extensions: { code: "UNAVAILABLE" } }] } }, { status: 200, body: { data: { grantPublish: ROOM } } }]);
    const game = createGameServerClient({ url: "http://x/graphql", apiKey: "k", fetch, clock: instantClock(waits), random: () => 0.999, backoff: { baseMs: 100, maxMs: 1000 } });
    expect(await game.grantPublish({ roomId: "g", userId: "u", streamIds: ["a"] })).toEqual(ROOM);
    expect(waits).toEqual([99, 199]);
    expect(fetch.bodies).toHaveLength(3);
    expect(fetch.bodies[0]).toMatchObject({ variables: { roomId: "g", userId: "u", streamIds: ["a"] } });
  });

  it("throws a typed error with the service's code and does not retry it", async () => {
    const fetch = scripted([{ status: 200, body: { errors: [{ message: "bad", extensions: { code: "BAD_USER_INPUT", field: "userId" } }] } }]);
    const game = createGameServerClient({ url: "http://x/graphql", apiKey: "k", fetch, clock: instantClock([]) });
    const error = await game.revokePublish({ roomId: "g", userId: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenServiceError);
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "userId" } });
    expect(fetch.bodies).toHaveLength(1);
  });

  it("gives up after maxAttempts with the last error's code", async () => {
    const fetch = scripted(["network", "network", "network"]);
    const game = createGameServerClient({ url: "http://x/graphql", apiKey: "k", fetch, clock: instantClock([]), maxAttempts: 3 });
    await expect(game.room({ roomId: "g" })).rejects.toMatchObject({ code: "NETWORK_ERROR" });
    expect(fetch.bodies).toHaveLength(3);
  });

  it("drives every operation against a real server", async () => {
    const t = await startTestServer();
    try {
      const game = createGameServerClient({ url: t.url, apiKey: TEST_SECRETS.apiKey });
      await game.setRoomAccess({ roomId: "gs", access: "MEMBERS_ONLY" });
      await game.addRoomMembers({ roomId: "gs", userIds: ["a", "b"] });
      await game.grantPublish({ roomId: "gs", userId: "a" });
      await game.setPublishers({ roomId: "gs", publishers: [{ userId: "b", streamIds: ["cam"] }] });
      await game.revokePublish({ roomId: "gs", userId: "b" });
      await game.removeRoomMembers({ roomId: "gs", userIds: ["b"] });
      const room = await game.room({ roomId: "gs" });
      expect(room).toMatchObject({ roomId: "gs", access: "MEMBERS_ONLY", members: ["a"], publishers: [] });
      const switched = await game.setRoomAccess({ roomId: "gs-switch", access: "MEMBERS_ONLY", members: ["a", "b"] });
      expect(switched).toMatchObject({ access: "MEMBERS_ONLY", members: ["a", "b"], version: 1 });
    } finally {
      await t.stop();
    }
  });
});
