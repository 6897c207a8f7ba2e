import { InvalidArgumentError, TokenError, TokenErrorCode } from "./errors.js";
import { assertRoomId, assertStreamId } from "./ids.js";
import { isRecord, isStringArray } from "../util/json.js";

/** Privilege key for logging into the room. */
export const PRIVILEGE_LOGIN_ROOM = "1";
/** Privilege key for publishing streams. */
export const PRIVILEGE_PUBLISH_STREAM = "2";

/** What a privilege token allows in one room. */
export interface RoomPrivilege {
  /** The room the token is for. */
  readonly roomId: string;
  /** May log into the room (privilege `"1"`). */
  readonly canLoginRoom: boolean;
  /** May publish streams (privilege `"2"`). */
  readonly canPublish: boolean;
  /** Stream IDs the user may publish; `null` means any. */
  readonly streamIds: readonly string[] | null;
}

/** Builds the stringified privilege payload ZEGO expects, validating every ID. */
export function buildPrivilegePayload(privilege: RoomPrivilege): string {
  const roomId = assertRoomId(privilege.roomId);
  let streamIds: string[] | null = null;
  if (privilege.streamIds !== null) {
    if (!Array.isArray(privilege.streamIds)) {
      throw new InvalidArgumentError("streamIds", "must be a list of stream IDs or null");
    }
    streamIds = privilege.streamIds.map((id, i) => assertStreamId(id, `streamIds[${i}]`));
    // An empty list would mean "any stream" to ZEGO: never emit one.
    if (streamIds.length === 0) throw new InvalidArgumentError("streamIds", "must not be empty (null allows any stream)");
  }
  return JSON.stringify({
    room_id: roomId,
    privilege: {
      [PRIVILEGE_LOGIN_ROOM]: privilege.canLoginRoom ? 1 : 0,
      [PRIVILEGE_PUBLISH_STREAM]: privilege.canPublish ? 1 : 0,
    },
    stream_id_list: streamIds,
  });
}

function malformed(what: string): TokenError {
  return new TokenError(TokenErrorCode.MALFORMED, `token payload is not a valid privilege object: ${what}`);
}

function bit(value: unknown, key: string): boolean {
  if (value === undefined) return false;
  if (value !== 0 && value !== 1) throw malformed(`privilege "${key}" must be 0 or 1`);
  return value === 1;
}

/**
 * Parses a token's payload string. `""` (basic token) and JSON that is not a privilege object give
 * `null`; an object that claims to be a privilege (`room_id` or `privilege`) but breaks the format
 * throws `TOKEN_MALFORMED`.
 */
export function parsePrivilegePayload(payload: string): RoomPrivilege | null {
  if (payload === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || (!("room_id" in parsed) && !("privilege" in parsed))) return null;
  const { room_id: roomId, privilege, stream_id_list: list } = parsed;
  if (typeof roomId !== "string") throw malformed("room_id must be a string");
  if (!isRecord(privilege)) throw malformed("privilege must be an object");
  let streamIds: string[] | null = null;
  if (list !== null && list !== undefined) {
    if (!isStringArray(list)) {
      throw malformed("stream_id_list must be null or a list of strings");
    }
    // ZEGO treats an empty list as unrestricted, so decode it as "any stream".
    streamIds = list.length === 0 ? null : list;
  }
  return {
    roomId,
    canLoginRoom: bit(privilege[PRIVILEGE_LOGIN_ROOM], PRIVILEGE_LOGIN_ROOM),
    canPublish: bit(privilege[PRIVILEGE_PUBLISH_STREAM], PRIVILEGE_PUBLISH_STREAM),
    streamIds,
  };
}
