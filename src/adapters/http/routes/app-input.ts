import type { Request } from 'express';
import { FirewallError } from '../../../core/errors.ts';

/** Reading the approver app's request bodies and path parameters: precise BODY_INVALID / PATH_INVALID refusals. */
export const obj = (req: Request): Record<string, unknown> => {
  const b: unknown = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new FirewallError('BODY_INVALID', 'the body must be a JSON object', { status: 400 });
  return b as Record<string, unknown>;
};
export const str = (b: Record<string, unknown>, field: string, max: number, required = true): string => {
  const v = b[field];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string' || v.length > max || (required && v.length === 0)) throw new FirewallError('BODY_INVALID', `'${field}' must be a string of 1-${max} characters`, { status: 400, detail: { field } });
  return v;
};
export const idParam = (req: Request): string => {
  const v = String(req.params['id'] ?? '');
  if (v.length === 0 || v.length > 100) throw new FirewallError('PATH_INVALID', "path parameter 'id' must be 1-100 characters", { status: 400 });
  return v;
};

