import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("packages/client/src imports", () => {
  it("only its own files and graphql-ws/client (not its server half, which imports graphql): no server code, no Node built-ins", () => {
    const dir = "packages/client/src";
    const specifiers = readdirSync(dir).flatMap((file) =>
      [...readFileSync(join(dir, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!),
    );
    expect(specifiers.length).toBeGreaterThan(5);
    const foreign = specifiers.filter((s) => !(s.startsWith("./") && !s.includes("..")) && s !== "graphql-ws/client");
    expect(foreign).toEqual([]);
  });
});
