/**
 * Deciding, at power-on, whether the files on disk are the ones this device last wrote. Three
 * witnesses: the store MAC (edits), the anchor file (rollback of store.json alone), and the audit
 * log's store.commit entries plus the audit head recorded in the store (rollback of store and
 * anchor together, truncated or rewritten log). Copying all three back together is not detectable
 * in software; a real HSM keeps the counter in tamper-resistant NVRAM (docs/hsm.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson } from '../../src/core/canonical.ts';
import { constantTimeEqual } from '../../src/core/constant-time.ts';
import { FirewallError } from '../../src/core/errors.ts';
import type { AuditLogView } from '../audit/audit-log.ts';
import { readAnchor } from './anchor.ts';
import type { DevicePaths } from './paths.ts';
import { deriveDeviceKeys, macMatches, secretMatches, type DeviceKeys } from './sealing.ts';
import { assertStoreBody, type StoreBody } from './schema.ts';

export type TamperReason =
  | 'store-missing'
  | 'store-unreadable'
  | 'store-modified'
  | 'store-replaced'
  | 'store-rollback'
  | 'anchor-missing'
  | 'anchor-invalid'
  | 'anchor-rollback'
  | 'audit-log-broken'
  | 'audit-log-truncated'
  | 'audit-log-rewritten';

export type Inspection =
  | { kind: 'fresh' }
  | { kind: 'ok'; body: StoreBody; keys: DeviceKeys; repairs: string[] }
  | { kind: 'tampered'; reason: TamperReason; message: string; salvage: { body?: Record<string, unknown>; keys?: DeviceKeys } };

function tampered(reason: TamperReason, message: string, salvage: { body?: Record<string, unknown>; keys?: DeviceKeys } = {}): Inspection {
  return { kind: 'tampered', reason, message, salvage };
}

export function inspectStore(paths: DevicePaths, masterSecret: Buffer, audit: AuditLogView): Inspection {
  if (!existsSync(paths.store)) {
    if (existsSync(paths.anchor) || audit.length > 0) {
      return tampered('store-missing', 'store.json is missing but the anchor or the audit log show it existed');
    }
    return { kind: 'fresh' };
  }

  let envelope: unknown;
  try {
    envelope = JSON.parse(readFileSync(paths.store, 'utf8'));
  } catch {
    return tampered('store-unreadable', 'store.json is not valid JSON');
  }
  const env = envelope as { body?: unknown; mac?: unknown };
  const raw = env?.body as Record<string, unknown> | undefined;
  if (raw === null || typeof raw !== 'object' || typeof env.mac !== 'string' || typeof raw.salt !== 'string' || typeof raw.check !== 'string') {
    return tampered('store-unreadable', 'store.json lacks body, mac, salt or check');
  }
  const salt = Buffer.from(raw.salt, 'base64');
  if (salt.length !== 32) return tampered('store-unreadable', 'store salt is not 32 bytes');

  const keys = deriveDeviceKeys(masterSecret, salt);
  if (!secretMatches(keys, raw.check)) {
    // Not tamper: most likely an operator supplied the wrong secret. Refuse to start, touch nothing.
    throw new FirewallError('MASTER_SECRET_MISMATCH', 'the master secret does not match the one this store was sealed with');
  }
  if (!macMatches(keys.storeMac, canonicalJson(raw), env.mac)) {
    return tampered('store-modified', 'store.json was modified: its MAC does not verify', { body: raw, keys });
  }
  try {
    assertStoreBody(raw);
  } catch (e) {
    return tampered('store-unreadable', (e as Error).message, { body: raw, keys });
  }
  const body: StoreBody = raw;
  const salvage = { body: raw, keys };
  const repairs: string[] = [];
  const g = body.generation;

  const anchor = readAnchor(paths.anchor, keys.anchorMac);
  if (anchor.kind === 'missing') {
    // Only a crash during the very first commit can leave a store without an anchor.
    if (g !== 1) return tampered('anchor-missing', `anchor.json is missing while the store is at generation ${g}`, salvage);
    repairs.push('anchor-missing-at-generation-1');
  } else if (anchor.kind === 'invalid') {
    return tampered('anchor-invalid', anchor.why, salvage);
  } else {
    const a = anchor.anchor.generation;
    if (g < a) return tampered('store-rollback', `store.json is at generation ${g} but the anchor records ${a}: an older copy was put back`, salvage);
    if (g > a + 1) return tampered('anchor-rollback', `store.json is at generation ${g} but the anchor records ${a}`, salvage);
    if (g === a && !constantTimeEqual(anchor.anchor.storeMac, env.mac)) {
      return tampered('store-replaced', `store.json at generation ${g} is not the file the anchor recorded`, salvage);
    }
    if (g === a + 1) repairs.push('anchor-one-behind');
  }

  if (!audit.verdict.ok) {
    return tampered('audit-log-broken', `audit log entry ${audit.verdict.index}: ${audit.verdict.reason}`, salvage);
  }
  const head = body.auditHead;
  if (head.index >= 0) {
    if (head.index >= audit.length) return tampered('audit-log-truncated', `the store records audit entry ${head.index} but the log has ${audit.length}`, salvage);
    if (audit.hashAt(head.index) !== head.hash) return tampered('audit-log-rewritten', `audit entry ${head.index} differs from the one the store recorded`, salvage);
  }
  const h = audit.lastCommitGeneration;
  if (h > g) return tampered('store-rollback', `the audit log records commit ${h} but store.json is at generation ${g}`, salvage);
  if (h < g - 1) return tampered('audit-log-truncated', `the audit log's last commit is ${h} but store.json is at generation ${g}`, salvage);
  if (h === g - 1) repairs.push('audit-commit-missing');

  return { kind: 'ok', body, keys, repairs };
}
