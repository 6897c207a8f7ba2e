import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
// Sources are read from src/web whether this runs from src/web (tsx) or dist/web (npm run build).
const source = (path: string) => here(`../../src/web/${path}`);

/** Where the built pages live: `dist/web/assets` at the package root (from src/web or dist/web alike). */
export const WEB_ASSETS_DIR = here("../../dist/web/assets/");

/**
 * Bundles the two pages' scripts (minified for browsers, no source maps) and copies the HTML (`/` included),
 * the CSS and the favicon.
 * Runs at build time and before the tests; needs the esbuild dev dependency.
 */
export async function buildWebAssets(outDir: string = WEB_ASSETS_DIR): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { assistant: source("assistant/assistant-page.ts"), console: source("console/console-page.ts") },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    legalComments: "none",
    logLevel: "silent",
  });
  await Promise.all([
    copyFile(source("assistant/index.html"), `${outDir}/assistant.html`),
    copyFile(source("console/index.html"), `${outDir}/console.html`),
    copyFile(source("pages.css"), `${outDir}/pages.css`),
    copyFile(source("home/index.html"), `${outDir}/home.html`),
    copyFile(source("favicon.svg"), `${outDir}/favicon.svg`),
  ]);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWebAssets().catch((e: unknown) => {
    process.stderr.write(`building the web pages failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
