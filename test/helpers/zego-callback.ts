import { callbackSignature } from "../../src/zego/signature.js";

let nonce = 100_000;

/** POSTs a ZEGO callback to a server, signed with `secret` (or a given signature), as JSON or a form. */
export async function postZegoCallback(
  baseUrl: string,
  secret: string,
  fields: Record<string, string>,
  options: { form?: boolean; nowMs?: number; signature?: string; nonce?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const timestamp = String(Math.floor((options.nowMs ?? Date.now()) / 1000));
  const n = options.nonce ?? String(nonce++);
  const all = { ...fields, timestamp, nonce: n, signature: options.signature ?? callbackSignature(secret, timestamp, n), appid: "1" };
  const body = options.form === true ? new URLSearchParams(all).toString() : JSON.stringify(all);
  const res = await fetch(`${baseUrl}/zego/callback`, {
    method: "POST",
    headers: { "content-type": options.form === true ? "application/x-www-form-urlencoded" : "application/json" },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A `stream_create` or `stream_close` event. */
export function streamEvent(kind: "create" | "close", roomId: string, userId: string, streamId: string, atMs = Date.now()): Record<string, string> {
  return kind === "create"
    ? { event: "stream_create", room_id: roomId, user_id: userId, stream_id: streamId, create_time_ms: String(atMs) }
    : { event: "stream_close", room_id: roomId, user_id: userId, stream_id: streamId, type: "0", destroy_timemillis: String(atMs) };
}

/** A `room_login` event (ZEGO's "user logged in" callback). */
export function loginEvent(roomId: string, userId: string, atMs = Date.now()): Record<string, string> {
  return { event: "room_login", room_id: roomId, room_name: roomId, room_seq: "1", user_account: userId, user_nickname: userId, session_id: "1", login_time: String(atMs), relogin: "0" };
}
