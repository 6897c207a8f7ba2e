import { describe, expect, it } from "vitest";
import { assertRedisServerInstalled } from "../helpers/redis.js";

describe("a missing redis-server", () => {
  it("fails with a message that says how to install it (it never skips)", () => {
    expect(() => assertRedisServerInstalled({ PATH: "/nonexistent" })).toThrow(/apt-get install -y redis-server/);
    expect(() => assertRedisServerInstalled()).not.toThrow();
  });
});
