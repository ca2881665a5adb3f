import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.ts';

/**
 * A one-line load balancer for tests: every new TCP connection goes to the current target port on
 * loopback; `to(port)` moves clients to another replica, dropping the connections already open
 * (HTTP keep-alive would otherwise stay with the old one), as a balancer does when a backend goes.
 *
 * `partition()` plays a network partition: connections stay open but nothing crosses (bytes are
 * dropped, new connections are accepted and get nothing), as when packets are lost silently rather
 * than refused. `heal()` ends it: the connections held through it are cut (their peers time them
 * out in real life) and new ones work again.
 */
export interface TcpSwitch {
  url: string;
  port: number;
  to(port: number): void;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpSwitch(initial: number): Promise<TcpSwitch> {
  let target = initial;
  let cut = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      // Cut off, a peer's end or error never reaches the other side either (no FIN crosses a partition).
      s.on('error', () => {
        if (cut) return s.destroy();
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!cut && !to.write(chunk)) from.pause();
      });
      to.on('drain', () => from.resume());
      from.on('end', () => {
        if (!cut) to.end();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const dropAll = () => {
    for (const s of open) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    to(p) {
      target = p;
      dropAll();
    },
    partition() {
      cut = true;
    },
    heal() {
      dropAll();
      cut = false;
    },
    async close() {
      dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
