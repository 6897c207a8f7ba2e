import type { ZegoNativeEngineLike, ZegoWebEngineLike } from "../../packages/client/src/index.js";

/** One SDK call as the fake SDK received it. */
export type SdkCall = [method: string, ...args: unknown[]];

/** A stand-in for the Web SDK that records calls and can fire `tokenWillExpire`. */
export function recordingWebSdk(): ZegoWebEngineLike & { calls: SdkCall[]; fire(roomID: string): void; listeners(): number } {
  const calls: SdkCall[] = [];
  const handlers = new Set<(roomID: string) => void>();
  return {
    calls,
    async loginRoom(roomID, token, user) {
      calls.push(["loginRoom", roomID, token, user]);
      return true;
    },
    renewToken(token, roomID) {
      calls.push(["renewToken", token, roomID]);
      return true;
    },
    logoutRoom(roomID) {
      calls.push(["logoutRoom", roomID]);
    },
    on(_event, cb) {
      handlers.add(cb);
      return true;
    },
    off(_event, cb) {
      if (cb !== undefined) handlers.delete(cb);
      return true;
    },
    fire(roomID) {
      for (const h of handlers) h(roomID);
    },
    listeners: () => handlers.size,
  };
}

/** A stand-in for the React Native SDK that records calls. */
export function recordingNativeSdk(): ZegoNativeEngineLike & { calls: SdkCall[]; fire(roomID: string, remain: number): void } {
  const calls: SdkCall[] = [];
  const handlers = new Set<(roomID: string, remain: number) => void>();
  return {
    calls,
    async loginRoom(roomID, user, config) {
      calls.push(["loginRoom", roomID, user, config]);
    },
    async renewToken(roomID, token) {
      calls.push(["renewToken", roomID, token]);
    },
    async logoutRoom(roomID) {
      calls.push(["logoutRoom", roomID]);
    },
    on(_event, cb) {
      handlers.add(cb);
    },
    off(_event, cb) {
      if (cb !== undefined) handlers.delete(cb);
    },
    fire(roomID, remain) {
      for (const h of handlers) h(roomID, remain);
    },
  };
}
