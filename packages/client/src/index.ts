/**
 * The client helper: keeps a ZEGO room's token current (browser, Node, React Native) and a typed
 * game-server client for Node. Imports nothing from the server side and no Node built-ins.
 */
export { createTokenClient, type TokenClient, type TokenClientOptions, type JoinRoomOptions, type JoinedRoom } from "./token-client.js";
export { zegoWebEngine, zegoNativeEngine, type RoomEngine, type ZegoUser, type ZegoWebEngineLike, type ZegoNativeEngineLike } from "./engines.js";
export { TokenServiceError } from "./errors.js";
export type { RoomToken, TokenReason, TokenUpdate } from "./room-token.js";
export type { ClientClock, BackoffOptions } from "./timing.js";
export type { FetchLike } from "./http.js";
export { createGameServerClient, type GameServerClient, type GameServerClientOptions, type RoomInfo } from "./game-server-client.js";
