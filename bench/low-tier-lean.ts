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
 * With `LEAN_STORE=gateway` the record is instead the gateway's own: acceptAction and settleAttempt
 * (gateway/) on the SQLite store and transparency log the gateway opens (main/open-store.ts). The
 * difference between the two runs is what the gateway's store and services cost beyond the floor;
 * the difference between that run and the real gateway is everything else on its path.
 *
 * argv: port upstreamUrl dataDir sessionId sessionKey(base64url)
 */
import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { fdatasync, openSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { v7 as uuidV7 } from 'uuid';
import { BatchingSigner } from '../src/adapters/signer/batching-signer.ts';
import { startHsmSim } from '../src/adapters/signer/hsm-sim-process.ts';
import { HsmSimSigner } from '../src/adapters/signer/hsm-sim-signer.ts';
import { forwardRequest } from '../src/adapters/upstream/forward-request.ts';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { actionDigest } from '../src/core/action/digest.ts';
import { canonicalJson } from '../src/core/canonical.ts';
import { readRequestSignature, signatureVerifies } from '../src/core/http-signature/request-signature.ts';
import { Frontier } from '../src/core/merkle/frontier.ts';
import { leafHash } from '../src/core/merkle/hash.ts';
import { parsePolicy } from '../src/core/policy/parse.ts';
import { checkRequestTarget } from '../src/core/wire/request-target.ts';
import { upstreamTarget } from '../src/core/wire/upstream-target.ts';
import { systemClock } from '../src/core/clock.ts';
import { receiptIssuer } from '../src/gateway/issue-receipt.ts';
import { policyPort } from '../src/gateway/policy-port.ts';
import { nodeId } from '../src/adapters/store/sqlite-log-schema.ts';
import { acceptAction } from '../src/gateway/accept-action.ts';
import type { ActionRecord, ClassificationSummary, ForwardRequest } from '../src/gateway/action-record.ts';
import { settleAttempt } from '../src/gateway/settle-attempt.ts';
import { openStore } from '../src/main/open-store.ts';
import { benchPolicy } from './gateway-setup.ts';

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

/** How an action and its outcome are recorded: durable acceptance (calling `committed` before the sync), then the outcome. */
interface Recorder {
  accept(a: { id: string; idempotencyKey: string; descriptor: ActionDescriptor; digest: string; c: ClassificationSummary; forward: ForwardRequest }, committed: (recorded: { id: string; logIndex: number }) => void): Promise<unknown>;
  settle(accepted: unknown, a: { id: string; digest: string }, outcome: { status: number; bodyB64: string; responseSha256: string; receipt: { jws: string; jti: string } }): Promise<void>;
}

function leanRecorder(): Recorder {
  const db = new DatabaseSync(join(dataDir, 'lean.db'));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
  CREATE TABLE actions (id TEXT PRIMARY KEY, agent TEXT NOT NULL, idempotency_key TEXT NOT NULL, digest TEXT NOT NULL,
    status TEXT NOT NULL, log_index INTEGER NOT NULL, forward TEXT NOT NULL, UNIQUE (agent, idempotency_key)) WITHOUT ROWID;
  CREATE TABLE log (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, body TEXT NOT NULL);
  CREATE TABLE nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);`);
  const walFd = openSync(join(dataDir, 'lean.db-wal'), 'r+');
  const sql = {
    byKey: db.prepare('SELECT id FROM actions WHERE agent = ? AND idempotency_key = ?'),
    insert: db.prepare('INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)'),
    settle: db.prepare("UPDATE actions SET status = ? WHERE id = ? AND status = 'executing'"),
    entry: db.prepare('INSERT INTO log VALUES (?, ?, ?)'),
    node: db.prepare('INSERT INTO nodes VALUES (?, ?)'),
  };

  // The frontier advances as entries are inserted and is not rolled back with a failed item: here
  // an item can only fail before its first append (a reused idempotency key), so it stays in step.
  const frontier = Frontier.empty();
  /** Appends a canonical entry to the log within the open transaction; returns its index. */
  function append(entry: Record<string, unknown>): number {
    const body = canonicalJson(entry);
    const leaf = leafHash(body);
    const idx = frontier.size;
    sql.entry.run(idx, leaf, body);
    frontier.append(leaf, (level, index, hash) => sql.node.run(nodeId(level, index), hash));
    return idx;
  }

  /** Group commit: everything queued in one turn of the event loop commits together; one fdatasync at a time. */
  type Work = { run: () => void; durable: boolean; committed?: () => void; done: (e?: unknown) => void };
  let queue: Work[] = [];
  let waitingSync: Work[] = [];
  let syncing = false;
  function commit(run: () => void, durable: boolean, committed?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ run, durable, ...(committed === undefined ? {} : { committed }), done: (e) => (e === undefined ? resolve() : reject(e)) });
    });
  }
  function flush(): void {
    const batch = queue;
    queue = [];
    db.exec('BEGIN');
    const ran: Work[] = [];
    for (const w of batch) {
      db.exec('SAVEPOINT w');
      try {
        w.run();
        db.exec('RELEASE w');
        ran.push(w);
      } catch (e) {
        db.exec('ROLLBACK TO w');
        db.exec('RELEASE w');
        w.done(e);
      }
    }
    db.exec('COMMIT');
    for (const w of ran) {
      w.committed?.();
      if (w.durable) waitingSync.push(w);
      else w.done();
    }
    sync();
  }
  function sync(): void {
    if (syncing || waitingSync.length === 0) return;
    syncing = true;
    const batch = waitingSync;
    waitingSync = [];
    fdatasync(walFd, (err) => {
      syncing = false;
      for (const w of batch) w.done(err ?? undefined);
      sync();
    });
  }

  return {
    async accept(a, committed) {
      let logIndex = -1;
      await commit(() => {
        if (sql.byKey.get('bench', a.idempotencyKey) !== undefined) throw new Error('IDEMPOTENCY_KEY_REUSED');
        const { c } = a;
        logIndex = append({
          v: 1, type: 'action.passed', ts: Date.now(), actionId: a.id, digest: a.digest, agent: 'bench', idempotencyKey: a.idempotencyKey, descriptor: a.descriptor,
          tier: c.tier, decision: c.decision, rule: c.rule, reasons: c.reasons, matchedRules: c.matchedRules,
          policyHash: c.policyHash, requirements: c.requirements, event: 'pass', approvals: [], attempt: 1,
        });
        sql.insert.run(a.id, 'bench', a.idempotencyKey, a.digest, 'executing', logIndex, JSON.stringify(a.forward));
      }, true, () => committed({ id: a.id, logIndex }));
    },
    async settle(_accepted, a, o) {
      await commit(() => {
        if (sql.settle.run('executed', a.id).changes === 1) {
          append({ v: 1, type: 'action.executed', ts: Date.now(), actionId: a.id, digest: a.digest, event: 'upstream_answered', attempt: 1, upstreamStatus: o.status, responseSha256: o.responseSha256, receiptJti: o.receipt.jti, receipt: o.receipt.jws });
        }
      }, false);
    },
  };
}

/** The gateway's own store, log and services, as the real gateway calls them for a LOW action. */
async function gatewayRecorder(): Promise<Recorder> {
  const { store } = await openStore({ dataDir, signer, clock: systemClock, origin: 'lean.bench/log' });
  const deps = { store, policy: () => policy, clock: systemClock, dispatchLeaseMs: 30_000 };
  const settleDeps = { store, clock: systemClock, dispatchLeaseMs: 30_000, maxAttempts: 5, log: { warn: () => {} } };
  const principal = { owner: 'bench-owner', organisation: 'bench-owner' };
  return {
    async accept(a, committed) {
      const out = await acceptAction(deps, {
        descriptor: a.descriptor, idempotencyKey: a.idempotencyKey, principal, forward: a.forward,
        provisional: { policyHash: policy.hash, classification: a.c },
        onCommitted: (r) => committed({ id: r.id, logIndex: r.authorisationLogIndex ?? -1 }),
      });
      if (!out.created) throw new Error('IDEMPOTENCY_KEY_REUSED');
      return out.record;
    },
    async settle(accepted, _a, o) {
      await settleAttempt(settleDeps, accepted as ActionRecord, { outcome: 'executed', result: { status: o.status, headers: {}, bodyB64: o.bodyB64 }, receipt: o.receipt });
    },
  };
}

const recorder = process.env['LEAN_STORE'] === 'gateway' ? await gatewayRecorder() : leanRecorder();

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
