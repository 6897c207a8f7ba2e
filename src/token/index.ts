export { encodeToken04, MAX_EFFECTIVE_TIME_SECONDS, type EncodeToken04Input, type EncodeToken04Options } from "./encode.js";
export { decodeToken04, type DecodedToken04, type DecodeToken04Options } from "./decode.js";
export { BASIC_TOKEN_NOTE, verifyToken04, type VerifyToken04Options } from "./verify.js";
export {
  buildPrivilegePayload,
  parsePrivilegePayload,
  PRIVILEGE_LOGIN_ROOM,
  PRIVILEGE_PUBLISH_STREAM,
  type RoomPrivilege,
} from "./payload.js";
export { TokenError, TokenErrorCode, InvalidArgumentError, ZEGO_ERROR_CODES } from "./errors.js";
export {
  assertAppId,
  assertRoomId,
  assertStreamId,
  assertUserId,
  isUserId,
  MAX_ROOM_ID_BYTES,
  MAX_STREAM_ID_BYTES,
  MAX_USER_ID_BYTES,
} from "./ids.js";
export { SECRET_BYTES } from "./format.js";
export type { TokenMode } from "./format.js";
export type { RandomBytes, TokenCodec } from "./codec.js";
export { nodeTokenCodec } from "./node-codec.js";
export { tokenFields } from "./plaintext.js";
