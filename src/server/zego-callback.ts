import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock/clock.js";
import type { Enforcer } from "../enforcement/enforcer.js";
import { UnavailableError } from "../errors/service-errors.js";
import { errorName, type Logger } from "../log/logger.js";
import { CallbackRefusal, parseCallbackBody, verifyCallback } from "../zego/callback.js";

/** Options of {@link createZegoCallbackHandler}. */
export interface ZegoCallbackHandlerOptions {
  /** ZEGO_CALLBACK_SECRET (the console's CallbackSecret). */
  readonly secret: string;
  readonly enforcer: Enforcer;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  /** Notes a refused callback (bad signature, stale, replayed), rate-limited per address. */
  readonly refused: (req: IncomingMessage, logger: Logger, code: string) => void;
}

/** Handles one request to `/zego/callback`. */
export type ZegoCallbackHandler = (req: IncomingMessage, res: ServerResponse, logger: Logger) => void;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * ZEGO's server callbacks (POST, JSON or form-encoded). A wrong signature, a timestamp more than 10
 * minutes off, or a replayed nonce gets 401 and records nothing. A good signature's timestamp and nonce
 * are used up first, whatever the event (the signature does not cover the body); then a stream event is
 * recorded, a login checked, and the answer is 200 (enforcement it triggers runs after the answer).
 */
export function createZegoCallbackHandler(options: ZegoCallbackHandlerOptions): ZegoCallbackHandler {
  return (req, res, logger) => {
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return reply(res, 405, { code: "METHOD_NOT_ALLOWED" });
    }
    const handle = async () => {
      const body = await readBody(req, options.maxBodyBytes);
      const fields = body === undefined ? undefined : parseCallbackBody(body, req.headers["content-type"]);
      if (fields === undefined) return reply(res, 400, { code: CallbackRefusal.BAD_BODY });
      const verified = verifyCallback(fields, options.secret, options.clock.now());
      if (typeof verified === "string") {
        options.refused(req, logger, verified);
        return reply(res, 401, { code: verified });
      }
      const outcome = await options.enforcer.recordCallback(verified);
      const { event: e } = verified;
      const event = e.kind === "ignored" || e.kind === "invalid" ? e.name : e.kind === "login" ? "room_login" : `stream_${e.kind}`;
      if (outcome === "replayed") {
        options.refused(req, logger, "REPLAYED");
        return reply(res, 401, { code: "REPLAYED" });
      }
      if (outcome === "invalid") {
        options.refused(req, logger, CallbackRefusal.BAD_EVENT);
        return reply(res, 400, { code: CallbackRefusal.BAD_EVENT });
      }
      logger.info("zego callback", { event, outcome });
      return reply(res, 200, { code: 0, message: "ok" });
    };
    handle().catch((e: unknown) => {
      logger.warn("zego callback failed", { error: errorName(e) });
      // A non-2xx answer makes ZEGO deliver the callback again.
      if (!res.headersSent) reply(res, e instanceof UnavailableError ? 503 : 500, { code: e instanceof UnavailableError ? "UNAVAILABLE" : "INTERNAL" });
    });
  };
}
