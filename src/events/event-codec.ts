import { isStringArray, parseJsonObject } from "../util/json.js";
import type { RoomEvent } from "./bus.js";

/** Serialises an event for a channel. */
export function serializeEvent(event: RoomEvent): string {
  return JSON.stringify({ roomId: event.roomId, userIds: event.userIds, version: event.version, epoch: event.epoch, committedAtMs: event.committedAtMs });
}

/** Parses an event from a channel; `undefined` when it is not a valid event for `roomId`. */
export function parseEvent(json: string, roomId: string): RoomEvent | undefined {
  const v = parseJsonObject(json);
  if (v === undefined) return undefined;
  const { roomId: room, userIds, version, epoch, committedAtMs } = v;
  if (room !== roomId || typeof version !== "number" || !Number.isSafeInteger(version)) return undefined;
  if (userIds !== null && !isStringArray(userIds)) return undefined;
  const ids = userIds === null ? null : Object.freeze([...userIds]);
  const at = typeof committedAtMs === "number" && Number.isFinite(committedAtMs) ? { committedAtMs } : {};
  return Object.freeze({ roomId, userIds: ids, version, ...(typeof epoch === "string" ? { epoch } : {}), ...at });
}
