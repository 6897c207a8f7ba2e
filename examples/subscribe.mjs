// Subscribes to tokenRenewed as a user and prints every push.
// Usage: ZTS=http://127.0.0.1:4000/graphql ALICE=<jwt> node examples/subscribe.mjs [roomId]
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = (process.env.ZTS ?? "http://127.0.0.1:4000/graphql").replace(/^http/, "ws");
const jwt = process.env.ALICE;
const roomId = process.argv[2] ?? "room1";
if (!jwt) {
  console.error("set ALICE to a user JWT (npm start prints one)");
  process.exit(2);
}

const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${jwt}` } });
client.subscribe(
  {
    query: `subscription ($roomId: String) {
      tokenRenewed(roomId: $roomId) { reason token { token canPublish streamIds expiresAt renewAt version } }
    }`,
    variables: { roomId },
  },
  {
    next: (result) => console.log(JSON.stringify(result)),
    error: (error) => {
      console.error("subscription error", error);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
process.on("SIGINT", () => client.dispose().then(() => process.exit(0)));
