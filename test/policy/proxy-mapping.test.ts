import { describe, expect, it } from 'vitest';
import { FirewallError } from '../../src/core/errors.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { mapProxyRequest, type ProxyRequest } from '../../src/core/policy/proxy-mapping.ts';
import { BASE_POLICY } from './helpers.ts';

const policy = parsePolicy(
  BASE_POLICY.replace(
    '      - { method: GET, path: "/balances/:account"',
    `      - { method: POST, path: "/accounts/:account/orders/:order", operation: order, target: params.order, amount: "12.5", currency: "=EUR", reversibility: fully_reversible, parameters: { account: params.account, note: body.meta.note, page: query.page, kind: "=literal", n: 3 } }
      - { method: GET, path: "/balances/:account"`,
  ),
  'proxy.yaml',
);

function err(req: ProxyRequest, actuator = 'payments'): FirewallError {
  try {
    mapProxyRequest(policy, actuator, req);
  } catch (e) {
    expect(e).toBeInstanceOf(FirewallError);
    return e as FirewallError;
  }
  throw new Error('mapped but should not have');
}

describe('proxy mapping', () => {
  it('maps a transfer from the body, with a decimal-string amount and upper-cased currency', () => {
    const m = mapProxyRequest(policy, 'payments', { method: 'post', path: '/transfers', body: { payee: 'acme', amount: '250.75', currency: 'eur' } });
    expect(m).toEqual({
      operation: 'transfer',
      target: 'acme',
      amount: 250.75,
      currency: 'EUR',
      reversibility: 'partially_reversible',
      parameters: { body: { payee: 'acme', amount: '250.75', currency: 'eur' } },
      route: { method: 'POST', path: '/transfers' },
    });
  });

  it('maps route parameters and parses the query from the path when not given', () => {
    const m = mapProxyRequest(policy, 'payments', { method: 'GET', path: '/balances/acc%2D1?x=1&x=2' });
    expect(m).toMatchObject({ operation: 'get_balance', target: 'acc-1', reversibility: 'fully_reversible', parameters: { params: { account: 'acc-1' }, query: { x: ['1', '2'] } } });
  });

  it('maps named parameters from params, body, query and literals, and literal amount/currency', () => {
    const m = mapProxyRequest(policy, 'payments', { method: 'POST', path: '/accounts/a1/orders/o9', query: { page: '2' }, body: { meta: { note: 'hi' } } });
    expect(m).toMatchObject({ operation: 'order', target: 'o9', amount: 12.5, currency: 'EUR', parameters: { account: 'a1', note: 'hi', page: '2', kind: 'literal', n: 3 } });
  });

  it('normalises the path the same way classification does', () => {
    expect(mapProxyRequest(policy, 'payments', { method: 'POST', path: '//transfers/', body: { payee: 'p', amount: 1, currency: 'EUR' } }).operation).toBe('transfer');
  });

  it('PROXY_ROUTE_UNKNOWN (404) for an unknown route, method or actuator', () => {
    expect(err({ method: 'POST', path: '/nope' })).toMatchObject({ code: 'PROXY_ROUTE_UNKNOWN', status: 404 });
    const wrongMethod = err({ method: 'DELETE', path: '/transfers' });
    expect(wrongMethod).toMatchObject({ code: 'PROXY_ROUTE_UNKNOWN', status: 404 });
    expect(wrongMethod.message).toMatch(/accepts POST/);
    expect(err({ method: 'GET', path: '/status' }, 'infra').code).toBe('PROXY_ROUTE_UNKNOWN');
    expect(err({ method: 'GET', path: '/x' }, 'nope').code).toBe('PROXY_ROUTE_UNKNOWN');
    expect(err({ method: 'GET', path: '/x' }, '__proto__').code).toBe('PROXY_ROUTE_UNKNOWN');
  });

  it('PROXY_FIELD_MISSING (400) names the expression', () => {
    const e = err({ method: 'POST', path: '/transfers', body: { payee: 'acme', currency: 'EUR' } });
    expect(e).toMatchObject({ code: 'PROXY_FIELD_MISSING', status: 400, detail: { field: 'amount', expression: 'body.amount' } });
    expect(err({ method: 'POST', path: '/transfers' })).toMatchObject({ code: 'PROXY_FIELD_MISSING', detail: { field: 'target' } });
    // inherited properties are not fields
    expect(err({ method: 'POST', path: '/transfers', body: { payee: 'a', currency: 'EUR', amount: undefined } }).code).toBe('PROXY_FIELD_MISSING');
    expect(err({ method: 'POST', path: '/transfers', body: Object.create({ payee: 'x', amount: 1, currency: 'EUR' }) }).code).toBe('PROXY_FIELD_MISSING');
  });

  it('PROXY_FIELD_INVALID (400) for values of the wrong shape', () => {
    for (const amount of ['1e3', ' 12', '-5', -5, '0x10', [1], Number.NaN]) {
      expect(err({ method: 'POST', path: '/transfers', body: { payee: 'a', amount, currency: 'EUR' } })).toMatchObject({ code: 'PROXY_FIELD_INVALID', status: 400 });
    }
    expect(err({ method: 'POST', path: '/transfers', body: { payee: { id: 1 }, amount: 1, currency: 'EUR' } }).code).toBe('PROXY_FIELD_INVALID');
    expect(err({ method: 'POST', path: '/transfers', body: { payee: 'a', amount: 1, currency: 'EURO' } }).code).toBe('PROXY_FIELD_INVALID');
  });
});
