import { FirewallError } from '../core/errors.ts';

/**
 * A listen() failure as the one-line start-up error an operator can act on: which port, and the
 * environment variable that chooses it. Anything else is passed through unchanged.
 */
export function listenError(e: unknown, port: number, variable: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new FirewallError('PORT_IN_USE', `port ${port} is already in use (another gateway or program listens there): set ${variable} to a free port`, {
      cause: e,
      detail: { variable, port },
    });
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new FirewallError('PORT_UNAVAILABLE', `cannot listen on port ${port} (${code}): set ${variable} to another port`, { cause: e, detail: { variable, port } });
  }
  return e;
}
