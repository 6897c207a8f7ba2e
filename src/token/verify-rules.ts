import type { DecodedToken04, VerifyToken04Options } from "./codec.js";
import { TokenError, TokenErrorCode } from "./errors.js";

/** What verifiers report for a basic token: it passes, but nothing in it restricts room or stream. */
export const BASIC_TOKEN_NOTE =
  "basic token: not restricted by room or stream; accepted only where privilege checks are off in ZEGO's console";

/**
 * ZEGO's checks on a decoded token: app, user, room, login, publish and stream allow-list; throws
 * {@link TokenError} with a stable code and the ZEGO SDK error number. A basic token (no privilege
 * payload) passes every room and publish check, as in ZEGO where privilege checks are off; callers
 * report it with {@link BASIC_TOKEN_NOTE} rather than as valid for a room.
 */
export function checkVerifyRules(decoded: DecodedToken04, options: VerifyToken04Options): DecodedToken04 {
  if (decoded.appId !== options.appId) throw new TokenError(TokenErrorCode.APP_MISMATCH, "token is for another app");
  if (options.userId !== undefined && decoded.userId !== options.userId) {
    throw new TokenError(TokenErrorCode.USER_MISMATCH, "token is for another user");
  }
  const privilege = decoded.privilege;
  if (privilege === null) return decoded;
  if (options.roomId !== undefined && privilege.roomId !== options.roomId) {
    throw new TokenError(TokenErrorCode.ROOM_MISMATCH, "token is for another room");
  }
  if (!privilege.canLoginRoom) throw new TokenError(TokenErrorCode.LOGIN_DENIED, "token does not allow logging into the room");
  const publish = options.publish ?? options.streamId !== undefined;
  if (publish) {
    if (!privilege.canPublish) throw new TokenError(TokenErrorCode.PUBLISH_DENIED, "token does not allow publishing");
    if (options.streamId !== undefined && privilege.streamIds !== null && !privilege.streamIds.includes(options.streamId)) {
      throw new TokenError(TokenErrorCode.STREAM_DENIED, "token does not allow publishing this stream");
    }
  }
  return decoded;
}
