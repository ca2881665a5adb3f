/**
 * The least CPU a LOW action can cost on this machine beyond a bare proxy's HTTP work, whatever the
 * implementation: the three operations issue #2 requires of every LOW action, each timed alone with
 * the cheapest call Node has for it.
 *
 * - verifying the agent's Ed25519 client assertion (node:crypto, synchronous: no jose, no JWT parsing),
 *   or, for comparison, checking a hashed API key (the other permitted credential);
 * - the HSM's Ed25519 signature over a receipt-sized input (node:crypto in-process: no IPC);
 * - one durable record: the canonical action digest, one canonical log entry and its Merkle leaf
 *   hash, two SQLite inserts, committed 32 actions per commit with synchronous=NORMAL (the fdatasync
 *   runs on the thread pool and costs little CPU, so it is left out).
 *
 * With the bare proxy's run measured machine-wide, these give the highest LOW/bare ratio that any
 * implementation could reach on this machine on the same run (see `ratioCeiling`).
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, timingSafeEqual, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { actionDigest } from '../src/core/action/digest.ts';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { canonicalJson } from '../src/core/canonical.ts';
import { leafHash } from '../src/core/merkle/hash.ts';

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface LowTierFloor {
  assertionVerifyUs: number;
  /** The other permitted credential, a hashed API key: SHA-256 and a constant-time compare. */
  apiKeyCheckUs: number;
  receiptSignUs: number;
  durableRecordUs: number;
}

/** Median of `rounds` timings of `n` calls, in µs per call: robust to a moment of other load. */
function perCallUs(rounds: number, n: number, f: (i: number) => void): number {
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    t.push(Number(process.hrtime.bigint() - start) / n / 1000);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

export function measureLowTierFloor(): LowTierFloor {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // Sizes as the benchmark's real ones: a ~330-byte assertion signing input, a ~600-byte receipt.
  const assertionInput = Buffer.from('e'.repeat(330));
  const assertionSig = sign(null, assertionInput, privateKey);
  const receiptInput = Buffer.from('r'.repeat(600));
  const assertionVerifyUs = perCallUs(7, 2000, () => {
    if (!verify(null, assertionInput, publicKey, assertionSig)) throw new Error('floor: verify failed');
  });
  const apiKey = randomBytes(32);
  const apiKeyHash = createHash('sha256').update(apiKey).digest();
  const apiKeyCheckUs = perCallUs(7, 20000, () => {
    if (!timingSafeEqual(createHash('sha256').update(apiKey).digest(), apiKeyHash)) throw new Error('floor: key check failed');
  });
  const receiptSignUs = perCallUs(7, 2000, () => sign(null, receiptInput, privateKey));

  const dir = mkdtempSync(join(tmpdir(), 'af-floor-'));
  try {
    const db = new DatabaseSync(join(dir, 'floor.db'));
    db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL');
    db.exec('CREATE TABLE actions (id TEXT PRIMARY KEY, digest TEXT NOT NULL, descriptor TEXT NOT NULL)');
    db.exec('CREATE TABLE log (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, entry TEXT NOT NULL)');
    const insAction = db.prepare('INSERT INTO actions VALUES (?, ?, ?)');
    const insEntry = db.prepare('INSERT INTO log (leaf, entry) VALUES (?, ?)');
    const BATCH = 32;
    const durableRecordUs =
      perCallUs(7, 100, () => {
        db.exec('BEGIN');
        for (let j = 0; j < BATCH; j++) {
          const d: ActionDescriptor = {
            agent: 'bench',
            actuator: 'bench',
            operation: 'get_balance',
            target: 'acc-1',
            parameters: { account: 'acc-1' },
            reversibility: 'fully_reversible',
            request: { method: 'GET', path: '/balances/acc-1', bodySha256: EMPTY_SHA256 },
          };
          const digest = actionDigest(d);
          const id = `act_${randomUUID()}`;
          insAction.run(id, digest, canonicalJson(d));
          const e = canonicalJson({ v: 1, type: 'action.dispatched', ts: Date.now(), actionId: id, digest, tier: 'LOW', policyHash: createHash('sha256').update(id).digest('hex') });
          insEntry.run(leafHash(e), e);
        }
        db.exec('COMMIT');
      }) / BATCH;
    db.close();
    return { assertionVerifyUs, apiKeyCheckUs, receiptSignUs, durableRecordUs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The highest LOW/bare throughput ratio an implementation doing only the bare proxy's work plus the
 * floor could reach. The bare run cost the whole machine `bareMachineUs` of CPU per request (load
 * generator, upstream and proxy together); such a gateway costs that plus the floor. On a machine
 * of `cores` the gateway run can go no faster than cores / (its CPU per request).
 */
export function ratioCeiling(floor: LowTierFloor, bareMachineUs: number, bareRps: number, cores: number, credential: 'assertion' | 'api-key' = 'assertion'): number {
  const auth = credential === 'assertion' ? floor.assertionVerifyUs : floor.apiKeyCheckUs;
  const gatewayMachineUs = bareMachineUs + auth + floor.receiptSignUs + floor.durableRecordUs;
  return Math.min(1, (cores * 1e6) / gatewayMachineUs / bareRps);
}
