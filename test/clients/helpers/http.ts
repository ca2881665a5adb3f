import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Listen on an ephemeral loopback port; returns the base URL and a closer. */
export async function listen(app: Express | ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void)): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer(app);
  // As the gateway's server: a test that blocks the loop past Node's 5 s default must not race its own client's keep-alive reuse.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
