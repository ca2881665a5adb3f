import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { GatewayContext } from '../../gateway/context.ts';

/**
 * The client's address for the authentication lock-out: the socket's peer, or, when that peer is a
 * trusted load balancer (TRUSTED_PROXIES), the nearest untrusted address in X-Forwarded-For. A
 * client cannot choose its own address by sending the header: hops are trusted only from the socket
 * outwards, and only while each is on the list.
 */
export function clientAddress(ctx: Pick<GatewayContext, 'trustProxy'>, req: IncomingMessage): string {
  if (req.socket.remoteAddress === undefined) return 'unknown';
  return proxyaddr(req, ctx.trustProxy);
}
