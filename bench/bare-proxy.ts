// The baseline: a bare express reverse proxy forwarding to the same upstream, with nothing else.
import express from 'express';

const upstream = process.argv[3]!;
const app = express();
app.disable('x-powered-by');
app.all('/{*any}', async (req, res) => {
  const r = await fetch(upstream + req.url, { method: req.method });
  res.status(r.status).type(r.headers.get('content-type') ?? 'application/json').send(Buffer.from(await r.arrayBuffer()));
});
app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.send?.('ready'));
