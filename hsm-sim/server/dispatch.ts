/**
 * From one frame to one response: envelope checks, device-state and role gates, the operation,
 * and one audit entry for every request, whatever its outcome.
 */
import { FirewallError } from '../../src/core/errors.ts';
import { deviceError } from '../protocol/error-codes.ts';
import type { Fields } from '../protocol/fields.ts';
import { parseFrameBody } from '../protocol/frame.ts';
import { OPERATIONS, checkAccess } from '../protocol/operations.ts';
import { onlyFields } from '../protocol/fields.ts';
import type { DeviceLog } from '../log.ts';
import type { OpRecord, Session, Token } from '../token/token.ts';

export type RequestId = string | number | null;

export type Response =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId; ok: false; error: { code: string; message: string; detail?: Record<string, unknown> } };

const ID_MAX = 128;

function readId(req: Fields): RequestId {
  const id = Object.hasOwn(req, 'id') ? req.id : undefined;
  if (typeof id === 'string' && id.length > 0 && id.length <= ID_MAX) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  return null;
}

function errorResponse(id: RequestId, e: unknown): Response {
  const err = e instanceof FirewallError ? e : deviceError('INTERNAL_ERROR', 'the device failed to complete the operation');
  const error: { code: string; message: string; detail?: Record<string, unknown> } = { code: err.code, message: err.message };
  if (err.detail !== undefined) error.detail = err.detail;
  return { id, ok: false, error };
}

export class Dispatcher {
  readonly #token: Token;
  readonly #log: DeviceLog;

  constructor(token: Token, log: DeviceLog) {
    this.#token = token;
    this.#log = log;
  }

  /** A frame longer than the limit: answered without reading it; its bytes are skipped. */
  oversized(session: Session, length: number, maxFrameBytes: number): Response {
    const e = deviceError('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the ${maxFrameBytes}-byte limit; its body was discarded`, { length, maxFrameBytes });
    this.#record('frame', session, {}, e.code, { bytes: length });
    return errorResponse(null, e);
  }

  handle(session: Session, body: Buffer): Response {
    let req: Fields;
    try {
      req = parseFrameBody(body);
    } catch (e) {
      this.#record('frame', session, {}, (e as FirewallError).code ?? 'FRAME_MALFORMED', { bytes: body.length });
      return errorResponse(null, e);
    }
    const id = readId(req);
    const rec: OpRecord = {};
    const opName = Object.hasOwn(req, 'op') && typeof req.op === 'string' ? req.op : undefined;
    // Unknown names are recorded as such, never echoed verbatim into the audit log.
    const spec = opName !== undefined && Object.hasOwn(OPERATIONS, opName) ? OPERATIONS[opName] : undefined;
    const auditName = spec !== undefined ? opName! : 'unknown';
    try {
      if (id === null) throw deviceError('REQUEST_INVALID', `field "id" must be a non-empty string of at most ${ID_MAX} characters or a non-negative integer`, { field: 'id' });
      if (opName === undefined) throw deviceError('REQUEST_INVALID', 'field "op" must be a string', { field: 'op' });
      if (spec === undefined) throw deviceError('UNKNOWN_OPERATION', `no operation "${opName.slice(0, 64)}"`);
      const state = this.#token.state;
      if (state === 'zeroized' && !spec.whenZeroized) throw deviceError('DEVICE_ZEROIZED', 'the device is zeroized after a tamper event; it refuses every operation');
      if (state === 'uninitialized' && !spec.beforeInit) throw deviceError('TOKEN_NOT_INITIALIZED', 'the token is not initialised; the security officer must run initToken first');
      checkAccess(spec.access, session, opName);
      onlyFields(req, spec.fields);
      const role = session.role;
      const result = spec.run({ token: this.#token, session, rec }, req);
      this.#record(auditName, session, rec, 'ok', undefined, role);
      return { id, ok: true, result };
    } catch (e) {
      const response = errorResponse(id, e);
      const code = response.ok ? 'ok' : response.error.code;
      if (code === 'INTERNAL_ERROR') this.#log.error({ event: 'internal-error', op: auditName, err: e instanceof Error ? e.message : String(e) }, 'operation failed');
      this.#record(auditName, session, rec, code);
      return response;
    }
  }

  #record(op: string, session: Session, rec: OpRecord, outcome: string, detail?: Record<string, number>, role = session.role): void {
    if (detail !== undefined) rec.detail = { ...rec.detail, ...detail };
    try {
      this.#token.recordOperation(op, role, session.id, rec, outcome);
    } catch (e) {
      // An audit write failing is serious but must not take the device down mid-response.
      this.#log.error({ event: 'audit-write-failed', op, err: e instanceof Error ? e.message : String(e) }, 'could not append audit entry');
    }
  }
}
