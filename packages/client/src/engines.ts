/** A ZEGO user as both SDKs take it. */
export interface ZegoUser {
  userID: string;
  userName?: string;
}

/**
 * The one interface the token client drives; the adapters below map it onto each SDK's real
 * signatures (they differ in argument order and in how the login token is passed).
 */
export interface RoomEngine {
  loginRoom(roomId: string, token: string, user: ZegoUser): Promise<void>;
  renewToken(roomId: string, token: string): Promise<void>;
  logoutRoom(roomId: string): Promise<void>;
  /** Calls `handler` when the SDK says the room's token will expire soon; returns an unsubscribe. */
  onTokenWillExpire(roomId: string, handler: () => void): () => void;
}

/** The parts of the Web SDK (`zego-express-engine-webrtc` 3.12 `ZegoExpressEngine`) the client uses. */
export interface ZegoWebEngineLike {
  loginRoom(roomID: string, token: string, user: ZegoUser, config?: { userUpdate?: boolean }): Promise<boolean>;
  renewToken(token: string, roomID?: string): boolean;
  logoutRoom(roomID?: string): void;
  on(event: "tokenWillExpire", callBack: (roomID: string) => void): boolean;
  off(event: "tokenWillExpire", callBack?: (roomID: string) => void): boolean;
}

/**
 * The parts of React Native's `zego-express-engine-reactnative` 3.22 `ZegoExpressEngine` the client
 * uses. Written by hand from its published typings (`lib/ZegoExpressEngine.d.ts`,
 * `lib/ZegoExpressEventHandler.d.ts`) because the package pulls react-native in as a peer.
 */
export interface ZegoNativeEngineLike {
  loginRoom(roomID: string, user: ZegoUser, config?: { token?: string; isUserStatusNotify?: boolean; maxMemberCount?: number }): Promise<unknown>;
  renewToken(roomID: string, token: string): Promise<void>;
  logoutRoom(roomID?: string): Promise<unknown>;
  on(event: "roomTokenWillExpire", callback: (roomID: string, remainTimeInSecond: number) => void): void;
  off(event: "roomTokenWillExpire", callback?: (roomID: string, remainTimeInSecond: number) => void): void;
}

/** Adapts the Web SDK: `loginRoom(roomID, token, user)`, `renewToken(token, roomID)`. */
export function zegoWebEngine(zg: ZegoWebEngineLike): RoomEngine {
  return {
    async loginRoom(roomId, token, user) {
      const ok = await zg.loginRoom(roomId, token, user);
      if (!ok) throw new Error("loginRoom failed");
    },
    async renewToken(roomId, token) {
      if (!zg.renewToken(token, roomId)) throw new Error("renewToken rejected the token");
    },
    async logoutRoom(roomId) {
      zg.logoutRoom(roomId);
    },
    onTokenWillExpire(roomId, handler) {
      const listener = (roomID: string) => {
        if (roomID === roomId) handler();
      };
      zg.on("tokenWillExpire", listener);
      return () => {
        zg.off("tokenWillExpire", listener);
      };
    },
  };
}

/** Adapts the React Native SDK: `loginRoom(roomID, user, { token })`, `renewToken(roomID, token)`. */
export function zegoNativeEngine(engine: ZegoNativeEngineLike): RoomEngine {
  return {
    async loginRoom(roomId, token, user) {
      const result = await engine.loginRoom(roomId, user, { token });
      // The SDK resolves with { errorCode } instead of rejecting.
      const code = typeof result === "object" && result !== null && "errorCode" in result ? result.errorCode : 0;
      if (typeof code === "number" && code !== 0) throw new Error(`loginRoom failed with ZEGO error ${code}`);
    },
    async renewToken(roomId, token) {
      await engine.renewToken(roomId, token);
    },
    async logoutRoom(roomId) {
      await engine.logoutRoom(roomId);
    },
    onTokenWillExpire(roomId, handler) {
      const listener = (roomID: string) => {
        if (roomID === roomId) handler();
      };
      engine.on("roomTokenWillExpire", listener);
      return () => engine.off("roomTokenWillExpire", listener);
    },
  };
}
