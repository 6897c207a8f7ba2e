import { InvalidArgumentError } from "./errors.js";

// ZEGO's ID alphabet; all of it is ASCII, so length in characters equals length in bytes.
const USER_ROOM_ID = /^[A-Za-z0-9~!@#$%^&*()_+=\-`;',.<>/\\]+$/;
const STREAM_ID = /^[A-Za-z0-9_-]+$/;

const ID_CHARS = "letters, digits and ~!@#$%^&*()_+=-`;',.<>/\\";

/** Longest userID ZEGO accepts, in bytes. */
export const MAX_USER_ID_BYTES = 64;
/** Longest roomID ZEGO accepts, in bytes. */
export const MAX_ROOM_ID_BYTES = 128;
/** Longest streamID ZEGO accepts, in bytes. */
export const MAX_STREAM_ID_BYTES = 256;

function check(value: unknown, field: string, max: number, pattern: RegExp, chars: string): string {
  if (typeof value !== "string" || value.length < 1 || value.length > max || !pattern.test(value)) {
    throw new InvalidArgumentError(field, `must be 1-${max} bytes of ${chars}`);
  }
  return value;
}

/** Returns `value` if it is a valid ZEGO userID, else throws {@link InvalidArgumentError}. */
export function assertUserId(value: unknown, field = "userId"): string {
  return check(value, field, MAX_USER_ID_BYTES, USER_ROOM_ID, ID_CHARS);
}

/** Returns `value` if it is a valid ZEGO roomID, else throws {@link InvalidArgumentError}. */
export function assertRoomId(value: unknown, field = "roomId"): string {
  return check(value, field, MAX_ROOM_ID_BYTES, USER_ROOM_ID, ID_CHARS);
}

/** Returns `value` if it is a valid ZEGO streamID, else throws {@link InvalidArgumentError}. */
export function assertStreamId(value: unknown, field = "streamId"): string {
  return check(value, field, MAX_STREAM_ID_BYTES, STREAM_ID, "letters, digits, - and _");
}

/** True when `value` is a valid ZEGO userID. */
export function isUserId(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_USER_ID_BYTES && USER_ROOM_ID.test(value);
}

/** Returns `value` if it is a ZEGO AppID (an integer in 1..2^32-1), else throws. */
export function assertAppId(value: unknown, field = "appId"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new InvalidArgumentError(field, "must be an integer from 1 to 4294967295");
  }
  return value;
}
