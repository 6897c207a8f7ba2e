import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printServiceSchema } from "../../src/graphql/print-schema.js";

describe("schema.graphql", () => {
  it("is the printed schema (run `npm run schema` after changing src/graphql)", () => {
    const file = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(file).toBe(printServiceSchema());
  });

  it("has every name of the DESIGN §3 contract", () => {
    const sdl = printServiceSchema();
    for (const name of [
      "viewer: Viewer!", "serverTime: DateTime!", "room(roomId: String!): Room!", "inspectToken(token: String!, expect: TokenExpectation): TokenInspection!",
      "issueToken(roomId: String, effectiveTimeInSeconds: Int): RoomToken!", "grantPublish(roomId: String!, userId: String!, streamIds: [String!]): Room!",
      "revokePublish(roomId: String!, userId: String!): Room!", "setPublishers(roomId: String!, publishers: [PublisherInput!]!): Room!",
      "setRoomAccess(roomId: String!, access: RoomAccess!, members: [String!]): Room!", "addRoomMembers(roomId: String!, userIds: [String!]!): Room!",
      "removeRoomMembers(roomId: String!, userIds: [String!]!): Room!", "tokenRenewed(roomId: String, heldToken: String): TokenRenewal!",
      "roomHistory(roomId: String!, last: Int = 50): [RoomChange!]!", "roomChanged(roomId: String!): Room!",
      "tokenHolders: [TokenHolder!]!", "lastChange: RoomChange",
    ]) {
      expect(sdl.replace(/\s+/g, " ")).toContain(name);
    }
    for (const reason of ["INITIAL", "EXPIRING", "PRIVILEGE_CHANGED", "RESYNC"]) expect(sdl).toContain(reason);
  });
});
