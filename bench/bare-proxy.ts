// The baseline: a bare express reverse proxy forwarding to the same upstream with the same HTTP
// client and keep-alive pool as the gateway (src/adapters/upstream/forward-request.ts), and
// nothing else: the difference between the two is the firewall's own work.
import express from 'express';
import { forwardRequest } from '../src/adapters/upstream/forward-request.ts';

const upstream = process.argv[3]!;
const app = express();
app.disable('x-powered-by');
app.all('/{*any}', async (req, res) => {
  const r = await forwardRequest(new URL(req.url, upstream), { method: req.method, headers: {}, body: Buffer.alloc(0), timeoutMs: 10_000, maxBodyBytes: 1024 * 1024 });
  const type = r.headers['content-type'];
  res.status(r.status).type(typeof type === 'string' ? type : 'application/json').send(r.body);
});
app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.send?.('ready'));
