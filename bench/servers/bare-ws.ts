// Baseline for bench/subscriptions.ts: a plain `ws` server with graphql-ws's own `useServer` and a tiny
// schema whose `tokenRenewed` yields one small INITIAL value and then idles, with no authentication,
// store, timers or Yoga. What it holds per subscription is the floor graphql-ws itself sets.
import { createServer } from "node:http";
import { GraphQLBoolean, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { readProcessEnv } from "../../src/config/env.js";

const env = readProcessEnv();

const Token = new GraphQLObjectType({
  name: "RoomToken",
  fields: { token: { type: GraphQLString }, canPublish: { type: new GraphQLNonNull(GraphQLBoolean) }, expiresAt: { type: new GraphQLNonNull(GraphQLInt) } },
});
const Renewal = new GraphQLObjectType({
  name: "TokenRenewal",
  fields: { reason: { type: new GraphQLNonNull(GraphQLString) }, token: { type: new GraphQLNonNull(Token) } },
});

interface Renewal {
  readonly reason: string;
  readonly token: { readonly token: string; readonly canPublish: boolean; readonly expiresAt: number };
}

/** One INITIAL item, then nothing until the client ends the subscription. */
async function* idle(): AsyncGenerator<Renewal> {
  yield { reason: "INITIAL", token: { token: `04${"A".repeat(200)}`, canPublish: false, expiresAt: Math.floor(Date.now() / 1000) + 3600 } };
  await new Promise<never>(() => undefined);
}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
  subscription: new GraphQLObjectType({
    name: "Subscription",
    fields: {
      tokenRenewed: {
        type: new GraphQLNonNull(Renewal),
        args: { roomId: { type: GraphQLString } },
        subscribe: () => idle(),
        resolve: (item: Renewal) => item,
      },
    },
  }),
});

const http = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
const wss = new WebSocketServer({ server: http, path: "/graphql" });
useServer({ schema }, wss);
http.listen(Number(env["PORT"]), "127.0.0.1", () => process.stdout.write("READY\n"));
process.on("SIGTERM", () => {
  for (const socket of wss.clients) socket.terminate();
  http.close(() => process.exit(0));
});
