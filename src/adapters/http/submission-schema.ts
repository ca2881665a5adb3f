import { Ajv } from 'ajv';
import { FirewallError } from '../../core/errors.ts';
import { REVERSIBILITY } from '../../core/action/descriptor.ts';

/** The body of POST /v1/actions. Strict: unknown fields are errors, so typos cannot silently drop a constraint. */
export const SUBMISSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['actuator', 'operation', 'target', 'reversibility'],
  properties: {
    actuator: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
    operation: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' },
    target: { type: 'string', minLength: 1, maxLength: 512 },
    parameters: { type: 'object', maxProperties: 64 },
    amount: { type: 'number', minimum: 0, maximum: 1e15 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    reversibility: { enum: [...REVERSIBILITY] },
    branchCard: { type: 'object' },
  },
  dependencies: { amount: ['currency'], currency: ['amount'] },
} as const;

export interface Submission {
  actuator: string;
  operation: string;
  target: string;
  parameters?: Record<string, unknown>;
  amount?: number;
  currency?: string;
  reversibility: (typeof REVERSIBILITY)[number];
  branchCard?: Record<string, unknown>;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const check = ajv.compile<Submission>(SUBMISSION_SCHEMA);

export function parseSubmission(body: unknown): Submission {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FirewallError('BODY_INVALID', 'the request body must be a JSON object describing the action', { status: 400 });
  }
  if (!check(body)) {
    const errors = (check.errors ?? []).map((e) => ({ field: e.instancePath || '/', message: e.message ?? 'invalid', ...(e.params ?? {}) }));
    const first = errors[0];
    throw new FirewallError('BODY_INVALID', `invalid action: ${first?.field} ${first?.message}`, { status: 400, detail: { errors } });
  }
  return body;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function parseIdempotencyKey(v: string | undefined): string {
  if (v === undefined || v.length === 0) {
    throw new FirewallError('IDEMPOTENCY_KEY_MISSING', 'every action needs an Idempotency-Key header', { status: 400 });
  }
  if (!IDEMPOTENCY_KEY.test(v)) {
    throw new FirewallError('IDEMPOTENCY_KEY_INVALID', 'the Idempotency-Key must be 1-200 visible ASCII characters', { status: 400 });
  }
  return v;
}
