import { REVERSIBILITY, type ActionDescriptor } from '../action/descriptor.ts';
import { isIsoCurrency } from '../action/currency.ts';
import { FirewallError } from '../errors.ts';

/**
 * The fields classification reads, checked before it reads them. Classification must not be
 * steerable by malformed input: a NaN amount would fail every range test and slip past amount
 * rules; a negative one would shrink a velocity total; a control character could forge an index key.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

function bad(field: string, message: string): FirewallError {
  return new FirewallError('ACTION_DESCRIPTOR_INVALID', `descriptor.${field} ${message}`, { status: 400, detail: { field } });
}

function name(d: Record<string, unknown>, field: string, allowEmpty = false): void {
  const v = d[field];
  if (typeof v !== 'string') throw bad(field, `must be a string, not ${v === null ? 'null' : typeof v}`);
  if (!allowEmpty && v === '') throw bad(field, 'must not be empty');
  if (v.length > 512) throw bad(field, 'is longer than 512 characters');
  if (CONTROL.test(v)) throw bad(field, 'must not contain control characters');
}

export function assertClassifiable(descriptor: ActionDescriptor): void {
  if (descriptor === null || typeof descriptor !== 'object') throw bad('(root)', 'must be an object');
  const d = descriptor as unknown as Record<string, unknown>;
  name(d, 'agent');
  name(d, 'actuator');
  name(d, 'operation');
  name(d, 'target', true);
  if (!(REVERSIBILITY as readonly unknown[]).includes(d.reversibility)) {
    throw bad('reversibility', `must be one of ${REVERSIBILITY.join(', ')}`);
  }
  const hasAmount = d.amount !== undefined;
  const hasCurrency = d.currency !== undefined;
  if (hasAmount !== hasCurrency) throw bad(hasAmount ? 'currency' : 'amount', 'is required when the other of amount/currency is given');
  if (hasAmount) {
    if (typeof d.amount !== 'number' || !Number.isFinite(d.amount)) throw bad('amount', 'must be a finite number');
    if (d.amount < 0) throw bad('amount', 'must not be negative (direction belongs in the operation, e.g. refund)');
    if (typeof d.currency !== 'string' || !isIsoCurrency(d.currency)) throw bad('currency', 'must be an ISO 4217 currency code (e.g. EUR)');
  }
  const req = d.request as Record<string, unknown> | undefined;
  if (req !== undefined && (req === null || typeof req !== 'object' || typeof req.path !== 'string')) {
    throw bad('request.path', 'must be a string');
  }
}
