/**
 * ZEGO token service: the token04 codec (encode, decode, verify) and privilege payload helpers.
 * @packageDocumentation
 */
export * from "./token/index.js";
