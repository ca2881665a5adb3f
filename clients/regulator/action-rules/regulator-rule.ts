import { describe, type Seen } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { isObj, str, strings, uint, type Obj } from './fields.ts';

const SCOPES = new Set(['log:read', 'log:export']);
const MAX_TTL_SEC = 3600;
const JWS = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/;

function leaksToken(v: Obj): string | null {
  for (const [k, x] of Object.entries(v)) {
    if (/token$/i.test(k) && k !== 'tokenJti') return k;
    if (typeof x === 'string' && JWS.test(x)) return k;
  }
  return null;
}

/**
 * regulator.access: every token issuance names the regulator, the token's jti, known scopes and an
 * expiry at most one hour after issuance, and records no token; every export names who exported
 * which range; every console read and sign-out names the regulator and the session's token id.
 */
export const regulatorRule = defineActionRule('regulator.access', 'regulator tokens, exports and console reads are recorded completely, without the token', (api) => ({
  entry(e, seen: Seen | undefined) {
    if (seen === undefined || e.value === null) return;
    const v = e.value;
    if (v['type'] === 'regulator.token_issued') {
      const leak = leaksToken(v);
      if (leak !== null) api.fail(seen, `${describe(seen)} records token material in '${leak}'`);
      const scopes = strings(v, 'scopes');
      const ts = uint(v, 'ts');
      const exp = uint(v, 'exp');
      if (str(v, 'by') === undefined || str(v, 'jti') === undefined) api.fail(seen, `${describe(seen)} does not name the principal (by) and the token (jti)`);
      if (scopes === undefined || scopes.length === 0 || !scopes.every((s) => SCOPES.has(s))) api.fail(seen, `${describe(seen)} records unknown or no scopes`);
      if (ts === undefined || exp === undefined) api.fail(seen, `${describe(seen)} records no issue time (ts) or expiry (exp)`);
      else if (exp * 1000 > ts + MAX_TTL_SEC * 1000 + 1000 || exp * 1000 <= ts - 1000) api.fail(seen, `${describe(seen)}: the token expires ${exp * 1000 - ts} ms after issuance (at most ${MAX_TTL_SEC} s)`);
    } else if (v['type'] === 'regulator.export') {
      const leak = leaksToken(v);
      if (leak !== null) api.fail(seen, `${describe(seen)} records token material in '${leak}'`);
      const range = v['range'];
      if (str(v, 'by') === undefined) api.fail(seen, `${describe(seen)} does not name who exported`);
      if (!isObj(range) || uint(range, 'start') === undefined || uint(range, 'end') === undefined) api.fail(seen, `${describe(seen)} does not record the exported range`);
    } else if (v['type'] === 'regulator.read' || v['type'] === 'regulator.session_ended') {
      const leak = leaksToken(v);
      if (leak !== null) api.fail(seen, `${describe(seen)} records token material in '${leak}'`);
      if (str(v, 'by') === undefined || str(v, 'tokenJti') === undefined) api.fail(seen, `${describe(seen)} does not name the regulator (by) and the session's token (tokenJti)`);
      if (v['type'] === 'regulator.read' && str(v, 'resource') === undefined) api.fail(seen, `${describe(seen)} does not say what was read (resource)`);
    }
  },
}));
