import type { ActionRecord } from '../../src/gateway/action-record.ts';

/** A LOW read action in `executing`, for store tests; `o` overrides any field. */
export const actionRecord = (id: string, o: Partial<ActionRecord> = {}): ActionRecord => ({
  id,
  agent: 'agent-1',
  idempotencyKey: `k-${id}`,
  status: 'executing',
  digest: 'd'.repeat(64),
  descriptor: { agent: 'agent-1', actuator: 'bench', operation: 'read', target: 't', parameters: {}, reversibility: 'fully_reversible', request: { method: 'GET', path: '/t', bodySha256: 'e'.repeat(64) } },
  classification: { tier: 'LOW', decision: 'ALLOW', rule: 'r', reasons: [], matchedRules: ['r'], policyHash: 'p'.repeat(64), requirements: {} },
  forward: { method: 'GET', path: '/t', contentType: null, bodyB64: '' },
  createdAt: 1,
  updatedAt: 1,
  dueAt: 100,
  approvals: [],
  dispatchAttempts: 0,
  ...o,
});
