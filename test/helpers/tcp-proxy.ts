import { createServer, connect, type Server, type Socket } from "node:net";

/** A loopback TCP proxy in front of one service instance, able to lose what the instance sends. */
export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:port/graphql`. */
  readonly url: string;
  /** `ws://127.0.0.1:port/graphql`. */
  readonly wsUrl: string;
  /** New connections go to this port from now on (open ones stay where they are). */
  retarget(port: number): void;
  /**
   * From now on, bytes the instance sends are read and thrown away (a push lost on the way); the client
   * sees nothing, not even a close, until the connection is cut.
   */
  dropFromServer(): void;
  /** Forward the instance's bytes again (for connections opened from now on). */
  forwardFromServer(): void;
  /** Bytes thrown away so far. */
  dropped(): number;
  /** Open client connections. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port. When the instance's side of a connection ends (the instance
 * died), the client's side is destroyed at once, as a dying host's connections would be reset.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let dropping = false;
  let dropped = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket; dropping: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    const pair = { client, upstream, dropping };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (dropping || pair.dropping) dropped += chunk.length;
      else client.write(chunk);
    });
    const cut = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", cut);
    upstream.on("close", cut);
    client.on("error", cut);
    upstream.on("error", cut);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    retarget(p) {
      target = p;
    },
    dropFromServer() {
      dropping = true;
      for (const pair of pairs) pair.dropping = true;
    },
    forwardFromServer() {
      dropping = false;
    },
    dropped: () => dropped,
    connections: () => pairs.size,
    async stop() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
