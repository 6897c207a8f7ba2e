import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

// Same place as build-assets.ts's WEB_ASSETS_DIR; not imported from there, which needs esbuild.
const ASSETS_DIR = fileURLToPath(new URL("../../dist/web/assets/", import.meta.url));

interface Asset {
  readonly file: string;
  readonly type: string;
  /** connect-src of the page's CSP; only HTML documents get a CSP that matters. */
  readonly connect?: "none" | "self";
}

const SVG = "image/svg+xml";

const ROUTES: Readonly<Record<string, Asset>> = {
  "/": { file: "home.html", type: "text/html; charset=utf-8", connect: "none" },
  "/favicon.svg": { file: "favicon.svg", type: SVG },
  "/favicon.ico": { file: "favicon.svg", type: SVG },
  "/assistant": { file: "assistant.html", type: "text/html; charset=utf-8", connect: "none" },
  "/console": { file: "console.html", type: "text/html; charset=utf-8", connect: "self" },
  "/web/assistant.js": { file: "assistant.js", type: "text/javascript; charset=utf-8" },
  "/web/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/web/pages.css": { file: "pages.css", type: "text/css; charset=utf-8" },
};

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function csp(asset: Asset, host: string | undefined): string {
  // 'self' covers same-origin WebSockets in current browsers; the explicit ws/wss origin covers older ones.
  const sockets = host !== undefined && HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  const connect = asset.connect === "self" ? `'self'${sockets}` : "'none'";
  return `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ${connect}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** Serves a page route; returns false for paths that are not pages. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** Options of {@link createPageHandler}. */
export interface PageHandlerOptions {
  readonly enabled: boolean;
  /** Whether `/` links GraphiQL (served at /graphql outside production). */
  readonly graphiql?: boolean;
  readonly assetsDir?: string;
}

const GRAPHIQL_LINK = /<!--graphiql-->[\s\S]*?<!--\/graphiql-->/g;

/**
 * The `/` page (links to the others), /assistant, /console, their assets and the favicon, read once
 * from the build output, with a strict CSP and no framing. When disabled every page path answers 404.
 */
export function createPageHandler(options: PageHandlerOptions): PageHandler {
  const dir = options.assetsDir ?? ASSETS_DIR;
  const cache = new Map<string, Promise<Buffer>>();
  const read = async (file: string): Promise<Buffer> => {
    const body = await readFile(`${dir}/${file}`);
    return file === "home.html" && options.graphiql !== true ? Buffer.from(body.toString("utf8").replace(GRAPHIQL_LINK, "")) : body;
  };
  const load = (file: string) => {
    let body = cache.get(file);
    if (body === undefined) {
      body = read(file);
      cache.set(file, body);
      // A missing build is retried on the next request.
      body.catch(() => cache.delete(file));
    }
    return body;
  };
  return (req, res, path) => {
    const asset = ROUTES[path];
    if (asset === undefined) return false;
    const headers = {
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    };
    if (!options.enabled || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(options.enabled ? 405 : 404, { ...headers, "content-type": "text/plain; charset=utf-8" }).end(options.enabled ? "method not allowed" : "not found");
      return true;
    }
    load(asset.file).then(
      (body) => {
        res.writeHead(200, { ...headers, "content-type": asset.type, "content-security-policy": csp(asset, req.headers.host) });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => {
        res.writeHead(503, { ...headers, "content-type": "text/plain; charset=utf-8" }).end("pages are not built: run npm run build");
      },
    );
    return true;
  };
}
