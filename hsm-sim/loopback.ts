import { isIP } from 'node:net';

/** Loopback addresses: the only ones where the device (or a client) may use TCP without TLS. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
