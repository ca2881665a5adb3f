/**
 * The operation table: for each `op`, who may call it, in which device states, which fields it
 * takes, and how they are read. docs/hsm.md documents the same table for client writers.
 */
import type { Token, Session, OpRecord } from '../token/token.ts';
import { PIN_MAX_LENGTH, PIN_MIN_LENGTH } from '../token/pin.ts';
import { ALGORITHMS, CIPHER_MECHANISMS, MECHANISMS, MECHANISMS_FOR, PURPOSES, SIGNING_MECHANISMS, type KeyAlgorithm, type SigningMechanism } from '../store/schema.ts';
import { deviceError } from './error-codes.ts';
import { b64, b64List, has, int, keyRef, LABEL_PATTERN, oneOf, optInt, optStr, str, stringList, type Fields } from './fields.ts';

/** Who may call an operation. */
export type Access = 'public' | 'user' | 'so' | 'logged-in';

export interface OpContext {
  token: Token;
  session: Session;
  rec: OpRecord;
}

export interface OperationSpec {
  access: Access;
  /** Allowed before the SO has initialised the token. */
  beforeInit: boolean;
  /** Allowed once the device is zeroized (only `status`). */
  whenZeroized: boolean;
  fields: readonly string[];
  run(ctx: OpContext, req: Fields): unknown;
}

export const LIMITS = {
  /** Largest single message to sign or verify. */
  messageBytes: 1024 * 1024,
  /** Most messages in one signBatch. */
  batchItems: 8192,
  /** Largest signBatch item. */
  batchItemBytes: 64 * 1024,
  randomBytes: 65536,
  /** Largest value to encrypt (sealed secrets are small), and largest AAD. */
  cipherBytes: 4096,
  aadBytes: 1024,
  auditExportEntries: 5000,
} as const;

function pin(req: Fields, name: string): string {
  const v = req[name];
  if (typeof v !== 'string') throw deviceError('REQUEST_INVALID', `field "${name}" must be a string`, { field: name });
  // The PIN itself never appears in the message.
  if (v.length < PIN_MIN_LENGTH || v.length > PIN_MAX_LENGTH) throw deviceError('PIN_INVALID', `field "${name}" must be ${PIN_MIN_LENGTH}..${PIN_MAX_LENGTH} characters`, { field: name });
  return v;
}

function mechanismFor(req: Fields): SigningMechanism {
  return oneOf(req, 'mechanism', SIGNING_MECHANISMS);
}

const op = (access: Access, fields: readonly string[], run: OperationSpec['run'], flags: Partial<Pick<OperationSpec, 'beforeInit' | 'whenZeroized'>> = {}): OperationSpec => ({
  access,
  fields,
  run,
  beforeInit: flags.beforeInit ?? false,
  whenZeroized: flags.whenZeroized ?? false,
});

export const OPERATIONS: Readonly<Record<string, OperationSpec>> = Object.freeze({
  status: op('public', [], ({ token, session }) => token.status(session), { beforeInit: true, whenZeroized: true }),

  initToken: op(
    'public',
    ['soPin', 'label'],
    ({ token }, req) => token.initToken(pin(req, 'soPin'), str(req, 'label', { max: 32, pattern: /^[\x20-\x7e]+$/, what: 'printable ASCII' })),
    { beforeInit: true },
  ),

  login: op('public', ['role', 'pin'], ({ token, session, rec }, req) => token.login(session, oneOf(req, 'role', ['so', 'user'] as const), pin(req, 'pin'), rec)),

  logout: op('public', [], ({ token, session }) => token.logout(session), { beforeInit: true }),

  initPin: op('so', ['pin'], ({ token }, req) => token.initPin(pin(req, 'pin'))),

  generateKey: op('user', ['label', 'algorithm', 'purposes', 'mechanisms'], ({ token, rec }, req) => {
    const algorithm: KeyAlgorithm = oneOf(req, 'algorithm', ALGORITHMS);
    const allowed = MECHANISMS_FOR[algorithm];
    const mechanisms = has(req, 'mechanisms') ? stringList(req, 'mechanisms', MECHANISMS, { min: 1 }) : [...allowed];
    const wrong = mechanisms.find((m) => !allowed.includes(m));
    if (wrong !== undefined) throw deviceError('MECHANISM_NOT_ALLOWED', `${algorithm} keys support ${allowed.join(', ')}, not ${wrong}`);
    return token.generateKey(rec, {
      label: str(req, 'label', { max: 64, pattern: LABEL_PATTERN, what: 'a key label ([A-Za-z0-9._-], 1..64, starting alphanumeric)' }),
      algorithm,
      purposes: stringList(req, 'purposes', PURPOSES, { min: 1 }),
      mechanisms,
    });
  }),

  listKeys: op('public', [], ({ token }) => ({ keys: token.listKeys() }), { beforeInit: true }),

  getPublicKey: op('public', ['key'], ({ token, rec }, req) => token.getPublicKey(keyRef(req), rec)),

  attestation: op('public', ['key'], ({ token, rec }, req) => token.attestation(has(req, 'key') ? keyRef(req) : undefined, rec), { beforeInit: true }),

  sign: op('user', ['key', 'purpose', 'mechanism', 'data'], ({ token, rec }, req) =>
    token.sign(rec, keyRef(req), oneOf(req, 'purpose', PURPOSES), mechanismFor(req), b64(req, 'data', { maxBytes: LIMITS.messageBytes })),
  ),

  signBatch: op('user', ['key', 'purpose', 'mechanism', 'data'], ({ token, rec }, req) =>
    token.signBatch(rec, keyRef(req), oneOf(req, 'purpose', PURPOSES), mechanismFor(req), b64List(req, 'data', { maxItems: LIMITS.batchItems, maxBytes: LIMITS.batchItemBytes })),
  ),

  verify: op('public', ['key', 'mechanism', 'data', 'signature'], ({ token, rec }, req) =>
    token.verify(rec, keyRef(req), mechanismFor(req), b64(req, 'data', { maxBytes: LIMITS.messageBytes }), b64(req, 'signature', { maxBytes: 512 })),
  ),

  encrypt: op('user', ['key', 'purpose', 'mechanism', 'data', 'aad'], ({ token, rec }, req) =>
    token.encrypt(rec, keyRef(req), oneOf(req, 'purpose', PURPOSES), oneOf(req, 'mechanism', CIPHER_MECHANISMS), b64(req, 'data', { maxBytes: LIMITS.cipherBytes }), b64(req, 'aad', { maxBytes: LIMITS.aadBytes })),
  ),

  decrypt: op('user', ['key', 'purpose', 'mechanism', 'iv', 'data', 'aad'], ({ token, rec }, req) =>
    token.decrypt(
      rec,
      keyRef(req),
      oneOf(req, 'purpose', PURPOSES),
      oneOf(req, 'mechanism', CIPHER_MECHANISMS),
      b64(req, 'iv', { minBytes: 12, maxBytes: 12 }),
      b64(req, 'data', { minBytes: 16, maxBytes: LIMITS.cipherBytes + 16 }),
      b64(req, 'aad', { maxBytes: LIMITS.aadBytes }),
    ),
  ),

  random: op('public', ['length'], ({ token }, req) => token.random(int(req, 'length', { min: 1, max: LIMITS.randomBytes })), { beforeInit: true }),

  exportPrivateKey: op('public', ['key', 'format'], ({ token, rec }, req) => {
    optStr(req, 'format', { max: 16 });
    return token.exportPrivateKey(rec, keyRef(req));
  }),

  destroyKey: op('so', ['key'], ({ token, rec }, req) => token.destroyKey(rec, keyRef(req))),

  auditHead: op('public', [], ({ token }) => token.auditHead(), { beforeInit: true }),

  auditExport: op(
    'logged-in',
    ['from', 'limit'],
    ({ token }, req) => token.auditExport(optInt(req, 'from', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0, optInt(req, 'limit', { min: 1, max: LIMITS.auditExportEntries }) ?? 1000),
  ),

  tamper: op('so', ['reason'], ({ token, session }, req) => {
    const reason = optStr(req, 'reason', { max: 200, pattern: /^[\x20-\x7e]+$/, what: 'printable ASCII' }) ?? 'security officer command';
    return { tamper: token.tamper('so-command', reason, session.role === 'so' ? 'so' : 'device') };
  }),
});

export function checkAccess(access: Access, session: Session, opName: string): void {
  if (access === 'public') return;
  if (session.role === 'public') throw deviceError('NOT_LOGGED_IN', `${opName} needs a logged-in ${access === 'logged-in' ? 'session' : access === 'so' ? 'security officer' : 'user'}`);
  if (access === 'logged-in' || access === session.role) return;
  throw deviceError(
    'OPERATION_NOT_PERMITTED',
    access === 'user' ? `the security officer can never use keys; ${opName} needs the user role` : `${opName} needs the security officer role`,
  );
}
