import type { DecodedToken04, VerifyToken04Options } from "./codec.js";
import { decodeToken04 } from "./decode.js";
import { checkVerifyRules } from "./verify-rules.js";

export { BASIC_TOKEN_NOTE } from "./verify-rules.js";
export type { VerifyToken04Options } from "./codec.js";

/**
 * Decodes a token on node:crypto and applies ZEGO's checks (app, user, room, login, publish, stream
 * allow-list); throws `TokenError` with a stable code and the ZEGO SDK error number.
 */
export function verifyToken04(token: unknown, options: VerifyToken04Options): DecodedToken04 {
  return checkVerifyRules(decodeToken04(token, options.now === undefined ? { secret: options.secret } : { secret: options.secret, now: options.now }), options);
}
