import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { Cidr } from "../config/config.js";

/** Finds the client address of a request for per-IP limits. */
export type ClientIpResolver = (req: IncomingMessage) => string;

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function normalize(address: string): string {
  return MAPPED_V4.exec(address)?.[1] ?? address;
}

function blockList(proxies: readonly Cidr[]): (address: string) => boolean {
  const list = new BlockList();
  for (const c of proxies) list.addSubnet(c.address, c.prefix, c.family);
  return (raw) => {
    const address = normalize(raw);
    const version = isIP(address);
    return proxies.length > 0 && version !== 0 && list.check(address, version === 4 ? "ipv4" : "ipv6");
  };
}

/** True for an address inside one of the trusted proxies' blocks. */
export function isTrustedProxy(trustedProxies: readonly Cidr[]): (address: string) => boolean {
  return blockList(trustedProxies);
}

/**
 * The socket's peer, unless that peer is a trusted proxy: then `X-Forwarded-For` is walked from the
 * right, skipping trusted hops, and the first untrusted address is the client. Headers from anyone
 * else are ignored, so a client cannot choose the address its limits are counted under.
 */
export function createClientIpResolver(trustedProxies: readonly Cidr[]): ClientIpResolver {
  if (trustedProxies.length === 0) return (req) => normalize(req.socket.remoteAddress ?? "unknown");
  const isTrusted = blockList(trustedProxies);
  return (req) => {
    let client = normalize(req.socket.remoteAddress ?? "unknown");
    if (!isTrusted(client)) return client;
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((h) => normalize(h.trim())).filter((h) => h !== "");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}
