import { FirewallError } from '../errors.ts';
import { isTier } from '../tier.ts';
import type {
  ReceiptApproval,
  ReceiptClaims,
  ReceiptLiveness,
  ReceiptQuorum,
  ReceiptQuorumGroup,
  ReceiptRequestBinding,
} from './receipt.ts';

/**
 * Defensive parsing of receipt claims that came off the wire (or are about to be signed). Returns
 * a fresh object holding only the known members; throws RECEIPT_MALFORMED naming the first bad
 * claim. Signature, time and binding checks are elsewhere (verify-receipt-claims.ts).
 */

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const HTTP_METHOD = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]{0,31}$/;
// Origin-form request target: absolute path and optional query, visible ASCII only.
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
const MAX_STRING = 1024;
const MAX_PATH = 8192;
const MAX_APPROVALS = 64;
const MAX_GROUPS = 16;

function fail(claim: string, why: string): never {
  throw new FirewallError('RECEIPT_MALFORMED', `receipt claim '${claim}' ${why}`, { status: 401, detail: { claim } });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, claim: string, max = MAX_STRING): string {
  if (typeof v !== 'string' || v.length === 0) fail(claim, 'must be a non-empty string');
  if (v.length > max) fail(claim, `must be at most ${max} characters`);
  return v;
}

function numericDate(v: unknown, claim: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(claim, 'must be a NumericDate (non-negative integer seconds)');
  return v;
}

function index(v: unknown, claim: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(claim, 'must be a non-negative integer');
  return v;
}

function parseRequest(v: unknown): ReceiptRequestBinding {
  if (!isRecord(v)) fail('req', 'must be an object { m, p, b }');
  const m = str(v.m, 'req.m', 32);
  if (!HTTP_METHOD.test(m)) fail('req.m', 'must be an upper-case HTTP method token');
  const p = str(v.p, 'req.p', MAX_PATH);
  if (!ORIGIN_FORM.test(p)) fail('req.p', "must be an origin-form request target starting with '/' (visible ASCII only)");
  const b = str(v.b, 'req.b', 64);
  if (!HEX_SHA256.test(b)) fail('req.b', 'must be a lower-case hex SHA-256');
  return { m, p, b };
}

function parseLiveness(v: unknown, claim: string): ReceiptLiveness {
  if (!isRecord(v)) fail(claim, 'must be an object { modality, score? }');
  const out: ReceiptLiveness = { modality: str(v.modality, `${claim}.modality`, 64) };
  if (v.score !== undefined) {
    if (typeof v.score !== 'number' || !Number.isFinite(v.score) || v.score < 0 || v.score > 1) fail(`${claim}.score`, 'must be a number in [0, 1]');
    out.score = v.score;
  }
  return out;
}

function parseApproval(v: unknown, i: number): ReceiptApproval {
  const claim = `apv[${i}]`;
  if (!isRecord(v)) fail(claim, 'must be an object { who, device, at, group?, liveness?, logIndex? }');
  const out: ReceiptApproval = {
    who: str(v.who, `${claim}.who`, 256),
    device: str(v.device, `${claim}.device`, 256),
    at: numericDate(v.at, `${claim}.at`),
  };
  if (v.group !== undefined) out.group = str(v.group, `${claim}.group`, 128);
  if (v.liveness !== undefined) out.liveness = parseLiveness(v.liveness, `${claim}.liveness`);
  if (v.logIndex !== undefined) out.logIndex = index(v.logIndex, `${claim}.logIndex`);
  return out;
}

function parseQuorumGroup(v: unknown, i: number): ReceiptQuorumGroup {
  const claim = `quorum.all_of[${i}]`;
  if (!isRecord(v)) fail(claim, 'must be an object { group, min }');
  const group = str(v.group, `${claim}.group`, 128);
  if (typeof v.min !== 'number' || !Number.isSafeInteger(v.min) || v.min < 1 || v.min > MAX_APPROVALS) {
    fail(`${claim}.min`, `must be an integer from 1 to ${MAX_APPROVALS}`);
  }
  return { group, min: v.min };
}

/** Parse a quorum description (`{ all_of: [{ group, min }], comparator? }`). */
export function parseReceiptQuorum(v: unknown): ReceiptQuorum {
  if (!isRecord(v)) fail('quorum', 'must be an object { all_of, comparator? }');
  if (!Array.isArray(v.all_of) || v.all_of.length === 0) fail('quorum.all_of', 'must be a non-empty array');
  if (v.all_of.length > MAX_GROUPS) fail('quorum.all_of', `must have at most ${MAX_GROUPS} groups`);
  const all_of = v.all_of.map(parseQuorumGroup);
  const names = new Set(all_of.map((g) => g.group));
  if (names.size !== all_of.length) fail('quorum.all_of', 'must not name a group twice');
  const out: ReceiptQuorum = { all_of };
  if (v.comparator !== undefined) {
    out.comparator = str(v.comparator, 'quorum.comparator', 128);
    if (names.has(out.comparator)) fail('quorum.comparator', 'must name a group outside all_of');
  }
  return out;
}

export function parseReceiptClaims(payload: unknown): ReceiptClaims {
  if (!isRecord(payload)) fail('(payload)', 'must be a JSON object');
  const iat = numericDate(payload.iat, 'iat');
  const exp = numericDate(payload.exp, 'exp');
  if (exp <= iat) fail('exp', "must be later than 'iat'");
  if (payload.dec !== 'ALLOW') fail('dec', "must be 'ALLOW'");
  if (!isTier(payload.tier)) fail('tier', 'must be one of LOW, MEDIUM, HIGH, CRITICAL');
  const act = str(payload.act, 'act', 64);
  if (!HEX_SHA256.test(act)) fail('act', 'must be a lower-case hex SHA-256');
  if (!Array.isArray(payload.apv)) fail('apv', 'must be an array (empty for LOW and MEDIUM)');
  if (payload.apv.length > MAX_APPROVALS) fail('apv', `must have at most ${MAX_APPROVALS} approvals`);

  const claims: ReceiptClaims = {
    iss: str(payload.iss, 'iss'),
    sub: str(payload.sub, 'sub', 200),
    aud: str(payload.aud, 'aud'),
    jti: str(payload.jti, 'jti', 256),
    iat,
    exp,
    act,
    req: parseRequest(payload.req),
    tier: payload.tier,
    dec: 'ALLOW',
    apv: payload.apv.map(parseApproval),
    pol: str(payload.pol, 'pol', 256),
    log: index(payload.log, 'log'),
  };
  if (payload.nbf !== undefined) {
    claims.nbf = numericDate(payload.nbf, 'nbf');
    if (claims.nbf >= exp) fail('nbf', "must be earlier than 'exp'");
  }
  if (payload.quorum !== undefined) claims.quorum = parseReceiptQuorum(payload.quorum);
  return claims;
}
