import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.ts';

/**
 * A one-line load balancer for tests: every new TCP connection goes to the current target port on
 * loopback; `to(port)` moves clients to another replica, dropping the connections already open
 * (HTTP keep-alive would otherwise stay with the old one), as a balancer does when a backend goes.
 */
export interface TcpSwitch {
  url: string;
  to(port: number): void;
  close(): Promise<void>;
}

export async function startTcpSwitch(initial: number): Promise<TcpSwitch> {
  let target = initial;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    to(p) {
      target = p;
      for (const s of open) s.destroy();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
