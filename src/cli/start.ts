#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { signUserJwt } from "../auth/dev-jwt.js";
import { ConfigError, loadConfig, type Config } from "../config/config.js";
import { readProcessEnv } from "../config/env.js";
import { createLogger, errorName } from "../log/logger.js";
import { createTokenServer } from "../server/create-server.js";

const SHUTDOWN_LIMIT_MS = 10_000;

async function devBanner(config: Config, url: string): Promise<string> {
  const dev = config.dev;
  if (dev === undefined) return "";
  const now = Date.now();
  const lines = [
    "",
    "  ZEGO token service — DEVELOPMENT MODE (not for production: credentials below are generated at start)",
    "",
    `  GraphQL:       ${url}/graphql   (GraphiQL in a browser; WebSocket graphql-ws on the same path)`,
    ...(config.consoleEnabled
      ? [
          `  Home:          ${url}/   (links to GraphiQL and the pages)`,
          `  Assistant:     ${url}/assistant   (decode, verify and generate tokens)`,
          `  Console:       ${url}/console   (rooms: history, token holders, access, members, publishers)`,
        ]
      : []),
    `  ZEGO AppID:    ${config.appId}${dev.generatedServerSecret ? "   (random ServerSecret: tokens will not work with real ZEGO rooms)" : ""}`,
  ];
  const key = dev.serviceApiKey;
  // A generated key is printed whether or not the JWT secret was given.
  if (key !== undefined && dev.jwtSecret === undefined) lines.push(`  Service key:   ${key}`);
  if (dev.jwtSecret !== undefined) {
    const alice = await signUserJwt({ secret: dev.jwtSecret, userId: "alice", ttlSeconds: 86400, nowMs: now, claim: config.auth.userIdClaim });
    const bob = await signUserJwt({ secret: dev.jwtSecret, userId: "bob", ttlSeconds: 86400, nowMs: now, claim: config.auth.userIdClaim });
    lines.push(`  JWT alice:     ${alice}`, `  JWT bob:       ${bob}`);
    if (key !== undefined) lines.push(`  Service key:   ${key}`);
    lines.push(
      "",
      "  Try it:",
      `    export ZTS=${url}/graphql ALICE=${alice}${key === undefined ? "" : ` KEY=${key}`}`,
      `    curl -s $ZTS -H "authorization: Bearer $ALICE" -H 'content-type: application/json' \\`,
      `      -d '{"query":"mutation { issueToken(roomId: \\"room1\\") { token canPublish renewAt } }"}'`,
    );
    if (key !== undefined) {
      lines.push(
        `    curl -s $ZTS -H "x-api-key: $KEY" -H 'content-type: application/json' \\`,
        `      -d '{"query":"mutation { grantPublish(roomId: \\"room1\\", userId: \\"alice\\", streamIds: [\\"room1_alice\\"]) { version } }"}'`,
      );
    }
  }
  lines.push("");
  return lines.join("\n");
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(readProcessEnv(), { readFile: (path) => readFileSync(path, "utf8") });
  } catch (e) {
    if (e instanceof ConfigError) {
      const problems = e.problems.map((p) => `  ${p.variable}: ${p.message}\n`).join("");
      process.stderr.write(`zego-token-service: configuration error (${e.problems.length}):\n${problems}`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.dev !== undefined) logger.warn("development mode: generated credentials, do not use in production");
  const server = await createTokenServer({ config, logger });
  // Handlers first: a process manager may send SIGTERM as soon as the port is open.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const limit = setTimeout(() => {
      logger.error("shutdown took too long, exiting");
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    server.stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (e: unknown) => {
        logger.error("shutdown failed", { error: errorName(e) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    await server.start();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== "EADDRINUSE" && code !== "EACCES") throw e;
    const address = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
    const why = code === "EADDRINUSE" ? "is already in use (is another instance running?)" : "may not be opened by this user";
    process.stderr.write(`zego-token-service: cannot listen on ${address}: it ${why}. Set PORT to another port, e.g. PORT=${config.port + 1} npm start\n`);
    process.exit(1);
  }
  logger.info("listening", { url: server.url, backend: server.backends.kind, production: config.production });
  const banner = await devBanner(config, server.url);
  if (banner !== "") console.log(banner);
}

main().catch((e: unknown) => {
  process.stderr.write(`zego-token-service: failed to start: ${errorName(e)}\n`);
  process.exit(1);
});
