import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/** Every .ts file under `dir`, as a path relative to the repository. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** The module specifiers a file imports or re-exports, static, type-only and dynamic alike. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|(?:^|\n)\s*import\s*"([^"]+)"/g)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** The repository-relative files a file imports from inside src (`./x.js` resolves to `./x.ts`). */
function localImports(file: string): string[] {
  return specifiers(file)
    .filter((s) => s.startsWith("."))
    .map((s) => normalize(join(dirname(file), s.replace(/\.js$/, ".ts"))));
}

const files = sources("src");
const graph = new Map(files.map((f) => [f, localImports(f)]));

describe("src layering", () => {
  it("reads a real import graph", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get(join("src", "server", "backends.ts"))).toContain(join("src", "server", "memory-backends.ts"));
  });

  it("has no import circle (type-only and dynamic imports included)", () => {
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it("keeps the token core runtime-neutral: only the node:crypto backend files import Node, and nothing imports the server side", () => {
    const nodeBackend = new Set(["decode.ts", "encode.ts", "random.ts", "secret-key.ts", "verify.ts", "node-codec.ts", "index.ts"].map((f) => join("src", "token", f)));
    for (const file of files.filter((f) => f.startsWith(join("src", "token")))) {
      for (const s of specifiers(file)) {
        if (s.startsWith("node:")) expect(nodeBackend.has(file), `${file} imports ${s}`).toBe(true);
        else if (s.startsWith("../")) expect(s, `${file} imports ${s}`).toBe("../util/json.js");
        else expect(s.startsWith("./"), `${file} imports ${s}`).toBe(true);
      }
    }
  });
});
