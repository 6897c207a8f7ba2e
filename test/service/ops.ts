/** GraphQL documents shared by the service tests. */
export const TOKEN_FIELDS = "token userId roomId canLoginRoom canPublish streamIds version issuedAt expiresAt renewAt serverTime appId";
export const ISSUE = `mutation($roomId: String, $ttl: Int) { issueToken(roomId: $roomId, effectiveTimeInSeconds: $ttl) { ${TOKEN_FIELDS} } }`;
export const RENEWED = `subscription($roomId: String, $heldToken: String) { tokenRenewed(roomId: $roomId, heldToken: $heldToken) { reason token { ${TOKEN_FIELDS} } } }`;
export const ROOM_FIELDS = "roomId access members publishers { userId streamIds } hasPublishRules version";
export const GRANT = `mutation($roomId: String!, $userId: String!, $streamIds: [String!]) { grantPublish(roomId: $roomId, userId: $userId, streamIds: $streamIds) { ${ROOM_FIELDS} } }`;
export const REVOKE = `mutation($roomId: String!, $userId: String!) { revokePublish(roomId: $roomId, userId: $userId) { ${ROOM_FIELDS} } }`;
export const SET_PUBLISHERS = `mutation($roomId: String!, $publishers: [PublisherInput!]!) { setPublishers(roomId: $roomId, publishers: $publishers) { ${ROOM_FIELDS} } }`;
export const SET_ACCESS = `mutation($roomId: String!, $access: RoomAccess!) { setRoomAccess(roomId: $roomId, access: $access) { ${ROOM_FIELDS} } }`;
export const ADD_MEMBERS = `mutation($roomId: String!, $userIds: [String!]!) { addRoomMembers(roomId: $roomId, userIds: $userIds) { ${ROOM_FIELDS} } }`;
export const REMOVE_MEMBERS = `mutation($roomId: String!, $userIds: [String!]!) { removeRoomMembers(roomId: $roomId, userIds: $userIds) { ${ROOM_FIELDS} } }`;
export const ROOM = `query($roomId: String!) { room(roomId: $roomId) { ${ROOM_FIELDS} } }`;

/** The shape of a token in responses. */
export interface TokenShape {
  token: string;
  userId: string;
  roomId: string | null;
  canLoginRoom: boolean;
  canPublish: boolean;
  streamIds: string[] | null;
  version: number;
  issuedAt: string;
  expiresAt: string;
  renewAt: string;
  serverTime: string;
  appId: number;
}

/** A `tokenRenewed` result. */
export interface RenewedResult {
  data?: { tokenRenewed: { reason: string; token: TokenShape } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
