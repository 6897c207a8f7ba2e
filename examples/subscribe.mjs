// Subscribes to tokenRenewed as a user and prints every push.
// Usage: ZTS=http://127.0.0.1:4000/graphql ALICE=<jwt> [HELD=<token04 you hold>] node examples/subscribe.mjs [roomId]
// Every (re)subscription shows the token held (HELD, then the last one pushed): the service pushes at
// once only when that is not the token the user should have now.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = (process.env.ZTS ?? "http://127.0.0.1:4000/graphql").replace(/^http/, "ws");
const jwt = process.env.ALICE;
const roomId = process.argv[2] ?? "room1";
let held = process.env.HELD || undefined;
if (!jwt) {
  console.error("set ALICE to a user JWT (npm start prints one)");
  process.exit(2);
}

const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${jwt}` } });
client.subscribe(
  {
    query: `subscription ($roomId: String, $heldToken: String) {
      tokenRenewed(roomId: $roomId, heldToken: $heldToken) { reason token { token canPublish streamIds expiresAt renewAt version } }
    }`,
    // graphql-ws serialises the variables again on each reconnect: the getter shows the token held then.
    variables: {
      roomId,
      get heldToken() {
        return held;
      },
    },
  },
  {
    next: (result) => {
      if (result.data?.tokenRenewed) held = result.data.tokenRenewed.token.token;
      console.log(JSON.stringify(result));
    },
    error: (error) => {
      console.error("subscription error", error);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
process.on("SIGINT", () => client.dispose().then(() => process.exit(0)));
