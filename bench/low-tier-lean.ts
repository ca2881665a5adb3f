/**
 * The LOW path's limit, measured rather than added up: a stripped gateway process that does only
 * what issue #17 requires of every session-signed LOW action, with the gateway's own components,
 * and nothing else. bench/gateway.ts runs it against the same upstream and load generator as the
 * bare proxy and the real gateway, in the same run, and reports its ratio and CPU
 * (`low_tier_lean_*`). Not a product: no other route, no admin, no recovery of its own journal.
 *
 * Per request, in the real gateway's order:
 * - the RFC 9421 hmac-sha256 check (core/http-signature), a fresh nonce, the body's Content-Digest;
 * - the request target checks and the policy's proxy mapping and classification (core/policy);
 * - one durable record before anything leaves: the action row (its id, idempotency key, digest,
 *   status, forward request) and its one canonical `action.passed` log entry with the Merkle nodes
 *   it completes, group-committed in SQLite WAL and fdatasynced on the thread pool;
 * - the receipt signed by hsm-sim (the batching signer), while that sync runs;
 * - the forward with the gateway's own HTTP client, and the outcome (`action.executed` with the
 *   receipt, the row's status) committed without a sync, as the gateway settles LOW actions;
 * - the upstream's answer to the agent.
 *
 * What it leaves out is what the real gateway does beyond that floor: the action's JSON document
 * and its indexes (scheduler, velocity, search terms), rate limits, metrics, status events, the
 * session registry's HSM-held key, the checkpoint signer and the WAL checkpoint worker.
 *
 * With `LEAN_STORE=worker` the narrow record runs on a worker thread that owns the connection
 * (bench/lean-record-worker.ts), and with `LEAN_STORE=gateway-worker` the gateway's record does:
 * what moving the store off the event loop buys.
 *
 * With `LEAN_STORE=gateway` the record is instead the gateway's own: acceptAction and settleAttempt
 * (gateway/) on the SQLite store and transparency log the gateway opens (main/open-store.ts). The
 * difference between the two runs is what the gateway's store and services cost beyond the floor;
 * the difference between that run and the real gateway is everything else on its path.
 *
 * argv: port upstreamUrl dataDir sessionId sessionKey(base64url)
 */
import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { v7 as uuidV7 } from 'uuid';
import { BatchingSigner } from '../src/adapters/signer/batching-signer.ts';
import { startHsmSim } from '../src/adapters/signer/hsm-sim-process.ts';
import { HsmSimSigner } from '../src/adapters/signer/hsm-sim-signer.ts';
import { forwardRequest } from '../src/adapters/upstream/forward-request.ts';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { actionDigest } from '../src/core/action/digest.ts';
import { readRequestSignature, signatureVerifies } from '../src/core/http-signature/request-signature.ts';
import { parsePolicy } from '../src/core/policy/parse.ts';
import { checkRequestTarget } from '../src/core/wire/request-target.ts';
import { upstreamTarget } from '../src/core/wire/upstream-target.ts';
import { systemClock } from '../src/core/clock.ts';
import { receiptIssuer } from '../src/gateway/issue-receipt.ts';
import { policyPort } from '../src/gateway/policy-port.ts';
import { benchPolicy } from './gateway-setup.ts';
import { gatewayRecorder, leanRecorder, workerRecorder } from './records.ts';

const [portArg, upstream, dataDir, sessionId, sessionKeyB64] = process.argv.slice(2) as [string, string, string, string, string];
const WINDOW_SEC = 30;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const PROXIED = /^\/proxy\/([^/?]+)\//;

const sessionKey = createSecretKey(Buffer.from(sessionKeyB64, 'base64url'));
const policy = policyPort(parsePolicy(benchPolicy(upstream), 'bench.yaml'));

// Secrets of this run only (none written to disk), so the device starts without a word on stderr.
const secret = () => randomBytes(24).toString('base64url');
const hsm = await startHsmSim({ dataDir: join(dataDir, 'hsm-sim'), masterSecret: secret(), soPin: secret(), userPin: secret(), logLevel: 'warn', onLog: () => {} });
const device = new HsmSimSigner({ endpoint: hsm.endpoint, userPin: hsm.userPin });
await device.ensureKeys();
const signer = new BatchingSigner(device);
const issueReceipt = receiptIssuer({ signer, clock: systemClock, issuer: 'lean', ttlSec: 300 });

const store = process.env['LEAN_STORE'];
const recorder =
  store === 'gateway'
    ? await gatewayRecorder(dataDir, signer, policy)
    : store === 'worker' || store === 'gateway-worker'
      ? await workerRecorder({ dataDir, record: store === 'worker' ? 'lean' : 'gateway', upstream })
      : leanRecorder(dataDir);

const nonces = new Map<string, number>();
setInterval(() => {
  const now = Date.now();
  for (const [n, until] of nonces) if (until < now) nonces.delete(n);
}, 1000).unref();

function refuse(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', status, code }));
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const target = checkRequestTarget(url);
  const method = req.method ?? 'GET';
  const header = (n: string) => req.headers[n] as string | undefined;
  const s = readRequestSignature(
    {
      method,
      targetUri: `http://${req.headers.host}${url}`,
      signatureInput: header('signature-input'),
      signature: header('signature'),
      contentDigest: header('content-digest'),
      idempotencyKey: header('idempotency-key'),
    },
    { nowMs: Date.now(), windowSec: WINDOW_SEC },
  );
  if (s.keyid !== sessionId || !signatureVerifies(sessionKey, s)) return refuse(res, 401, 'SIGNATURE_INVALID');
  if (nonces.has(s.nonce)) return refuse(res, 401, 'SIGNATURE_REPLAYED');
  nonces.set(s.nonce, Date.now() + 2 * WINDOW_SEC * 1000);
  if (!s.contentSha256.equals(createHash('sha256').update('').digest())) return refuse(res, 401, 'CONTENT_DIGEST_MISMATCH');
  const m = PROXIED.exec(target.path);
  if (m === null || method !== 'GET') return refuse(res, 404, 'ROUTE_NOT_FOUND');
  const actuator = m[1]!;
  const rest = target.path.slice(m[0].length - 1);
  const mapped = policy.mapProxy(actuator, { method, path: rest, query: target.query, body: undefined });
  const descriptor: ActionDescriptor = { agent: 'bench', actuator, ...mapped, request: { method, path: rest + target.search, bodySha256: EMPTY_SHA256 } };
  const c = policy.classify(descriptor, { velocity: [] });
  if (c.tier !== 'LOW') return refuse(res, 409, 'NOT_LOW');
  const idempotencyKey = header('idempotency-key')!;
  const digest = actionDigest(descriptor);
  const id = `act_${uuidV7({ msecs: Date.now() })}`;
  const forward = { method, path: rest + target.search, contentType: null, bodyB64: '' };
  const to = upstreamTarget(policy.upstreamOf(actuator)!, forward.path);
  let receipt: Promise<{ jws: string; jti: string }> | undefined;
  let actionId = id;
  const accepted = await recorder.accept({ id, idempotencyKey, descriptor, digest, c, forward }, ({ id: recorded, logIndex }) => {
    // Signed once committed, while the acceptance syncs; it leaves only once the acceptance is durable.
    actionId = recorded;
    receipt = issueReceipt({ actionId, actuator, digest, method, path: to.target, bodySha256: EMPTY_SHA256, tier: c.tier, approvals: [], policyHash: c.policyHash, logIndex });
    receipt.catch(() => {});
  });
  const r = await receipt!;
  const answer = await forwardRequest(to.url, { method, headers: { 'analog-firewall-receipt': r.jws, 'idempotency-key': actionId }, body: Buffer.alloc(0), timeoutMs: 10_000, maxBodyBytes: 1 << 20 });
  const responseSha256 = createHash('sha256').update(answer.body).digest('hex');
  await recorder.settle(accepted, { id: actionId, digest }, { status: answer.status, bodyB64: answer.body.toString('base64'), responseSha256, receipt: r });
  const type = answer.headers['content-type'];
  res.writeHead(answer.status, { 'content-type': typeof type === 'string' ? type : 'application/octet-stream', 'analog-firewall-action': actionId, 'content-length': answer.body.length });
  res.end(answer.body);
}

const server = createServer((req, res) => {
  serve(req, res).catch((e: unknown) => {
    if (!res.headersSent) refuse(res, (e as { status?: number }).status ?? 500, (e as { code?: string }).code ?? 'LEAN_FAILED');
    else res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.close();
  void hsm.stop().then(() => process.exit(0));
});
