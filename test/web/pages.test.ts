import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEB_ASSETS_DIR } from "../../src/web/build-assets.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("serving /assistant and /console", () => {
  let on: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    [on, off] = await Promise.all([startTestServer(), startTestServer({ env: { CONSOLE_ENABLED: "false" } })]);
  });
  afterAll(async () => {
    await Promise.all([on.stop(), off.stop()]);
  });

  const base = (t: TestServer) => t.server.url;

  it("serves both pages with a strict CSP, no framing and no inline script", async () => {
    for (const [path, connect] of [["/assistant", "connect-src 'none'"], ["/console", "connect-src 'self' ws://"]] as const) {
      const res = await fetch(`${base(on)}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(connect);
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/https?:\/\//);
    }
    for (const asset of ["/web/assistant.js", "/web/console.js", "/web/pages.css"]) {
      const res = await fetch(`${base(on)}${asset}`);
      expect(res.status).toBe(200);
      expect(await res.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
  });

  it("serves / linking the console, the Assistant and GraphiQL (only where GraphiQL is on), and a favicon", async () => {
    const res = await fetch(`${base(on)}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'none'");
    const html = await res.text();
    for (const link of ['href="/console"', 'href="/assistant"', 'href="/graphql"', 'rel="icon" href="/favicon.svg"']) expect(html).toContain(link);
    expect(html).not.toMatch(/<script/);
    for (const page of ["/assistant", "/console"]) expect(await (await fetch(`${base(on)}${page}`)).text()).toContain('rel="icon" href="/favicon.svg"');
    for (const icon of ["/favicon.svg", "/favicon.ico"]) {
      const r = await fetch(`${base(on)}${icon}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/svg+xml");
      expect(await r.text()).toMatch(/^<svg /);
    }
    // Production serves no GraphiQL, so its / page (when the console is enabled there) does not link it.
    const prod = await startTestServer({ env: { NODE_ENV: "production", CONSOLE_ENABLED: "true" } });
    try {
      const home = await (await fetch(`${prod.server.url}/`)).text();
      expect(home).toContain('href="/console"');
      expect(home).not.toContain("/graphql");
      expect(home).not.toContain("graphiql");
    } finally {
      await prod.stop();
    }
  });

  it("answers 404 for every page path when CONSOLE_ENABLED=false", async () => {
    for (const path of ["/", "/favicon.svg", "/assistant", "/console", "/web/assistant.js", "/web/console.js", "/web/pages.css"]) {
      const res = await fetch(`${base(off)}${path}`);
      expect(res.status).toBe(404);
    }
    expect((await fetch(`${base(off)}/healthz`)).status).toBe(200);
  });

  it("refuses other methods on page paths", async () => {
    const res = await fetch(`${base(on)}/assistant`, { method: "POST", headers: { "content-length": "0" } });
    expect(res.status).toBe(405);
  });

  it("keeps each page, codec included, under 60 KiB gzipped", () => {
    const gz = (file: string) => gzipSync(readFileSync(`${WEB_ASSETS_DIR}/${file}`), { level: 9 }).length;
    for (const page of ["assistant", "console"]) {
      expect(gz(`${page}.html`) + gz(`${page}.js`) + gz("pages.css")).toBeLessThan(60 * 1024);
    }
  });
});
