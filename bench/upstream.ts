// A trivial upstream for the gateway benchmark: answers every request with a small JSON body.
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.all('/{*any}', (req, res) => {
  res.json({ ok: true, path: req.path });
});
app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.send?.('ready'));
