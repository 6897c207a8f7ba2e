// Baseline for bench/http-issue.ts: a bare node:http handler that verifies the same JWT and mints the
// same privilege token with the same codec as issueToken, with no GraphQL, store or rate limit.
import { createServer } from "node:http";
import { jwtVerify } from "jose";
import { readProcessEnv } from "../../src/config/env.js";
import { buildPrivilegePayload, encodeToken04 } from "../../src/index.js";

const env = readProcessEnv();
const secret = env["ZEGO_SERVER_SECRET"] ?? "";
const appId = Number(env["ZEGO_APP_ID"]);
// By default the key is imported once, as a careful hand-written handler would; BARE_RAW_KEY=1 passes the
// raw bytes, as most examples do, and jose then re-imports them on every call.
const raw = new TextEncoder().encode(env["AUTH_JWT_SECRET"] ?? "");
const key = env["BARE_RAW_KEY"] === "1" ? raw : await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const auth = req.headers.authorization ?? "";
    void (async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { variables?: { roomId?: string } };
        const { payload } = await jwtVerify(auth.slice(7), key, { algorithms: ["HS256"], requiredClaims: ["exp"] });
        const roomId = body.variables?.roomId ?? "room1";
        const token = encodeToken04({
          appId,
          userId: String(payload.sub),
          secret,
          effectiveTimeInSeconds: 3600,
          payload: buildPrivilegePayload({ roomId, canLoginRoom: true, canPublish: false, streamIds: null }),
        });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { issueToken: { token } } }));
      } catch {
        res.writeHead(401).end();
      }
    })();
  });
});
server.listen(Number(env["PORT"]), "127.0.0.1", () => process.stdout.write("READY\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
