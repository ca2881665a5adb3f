import { signStatement } from '../attestation/statements.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditEntry } from '../audit/entry.ts';
import type { DeviceIdentity } from './device-identity.ts';

export interface SignedAuditStatement {
  statement: Record<string, unknown>;
  signature: string;
  alg: 'RS256';
}

/** The device's signed statement of its audit log's head (docs/hsm.md §Audit): what an auditor pins. */
export function auditHeadStatement(identity: DeviceIdentity, audit: AuditLog, counter: number, time: string): SignedAuditStatement {
  const head = audit.head();
  const statement = { type: 'analog-firewall/hsm-sim-audit-head/1', deviceSerial: identity.serial, index: head.index, hash: head.hash, counter, time };
  return { statement, signature: signStatement(identity.privateKey, statement), alg: 'RS256' };
}

/** A range of the audit log with a signed statement linking it to the entry before it and to the head. */
export function auditExportStatement(identity: DeviceIdentity, audit: AuditLog, from: number, limit: number, time: string): SignedAuditStatement & { entries: AuditEntry[] } {
  const entries = audit.read(from, limit);
  const prevHash = from === 0 ? '0'.repeat(64) : (audit.hashAt(from - 1) ?? null);
  const last = entries[entries.length - 1];
  const statement = {
    type: 'analog-firewall/hsm-sim-audit-export/1',
    deviceSerial: identity.serial,
    from,
    count: entries.length,
    prevHash,
    lastHash: last?.hash ?? null,
    head: audit.head(),
    time,
  };
  return { entries, statement, signature: signStatement(identity.privateKey, statement), alg: 'RS256' };
}
