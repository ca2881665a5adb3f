import type { ActionDescriptor, Reversibility } from '../action/descriptor.ts';
import { sha256Hex } from '../canonical.ts';
import type { Policy, PolicyRule } from './types.ts';

/**
 * One synthetic action per rule, built to satisfy that rule's match, plus one that no rule names.
 * `policy:check` classifies them so an operator sees what the policy does with each kind of action
 * (the sample may of course also match other rules; that is the point of showing it).
 */
export interface SampleAction {
  label: string;
  descriptor: ActionDescriptor;
}

const EMPTY_BODY_SHA256 = sha256Hex('');

function instantiate(pattern: string): string {
  const segs = pattern
    .split('/')
    .filter((s) => s !== '' && s !== '**')
    .map((s) => (s.startsWith(':') ? 'sample' : s.replace(/\*/g, 'x')));
  return '/' + segs.join('/');
}

function sampleAmount(rule: PolicyRule): { amount: number; currency: string } | undefined {
  const a = rule.match.amount;
  if (a === undefined) return undefined;
  const lo = a.gt ?? a.gte;
  const hi = a.lt ?? a.lte;
  let amount: number;
  if (lo !== undefined && hi !== undefined) amount = (lo + hi) / 2;
  else if (lo !== undefined) amount = a.gt !== undefined ? lo + 1 : lo;
  else if (hi !== undefined) amount = a.lte !== undefined ? hi : hi / 2;
  else amount = 1;
  return { amount, currency: a.currency };
}

export function sampleActions(policy: Policy): SampleAction[] {
  const actuators = Object.keys(policy.actuators);
  const out: SampleAction[] = [];
  for (const rule of policy.rules) {
    const actuator = rule.match.actuator ?? actuators[0] ?? 'sample-actuator';
    const spec = policy.actuators[actuator];
    const operation = rule.match.operations?.[0] ?? spec?.operations[0] ?? 'sample_operation';
    const route = spec?.proxy.find((r) => r.operation === operation);
    const reversibility: Reversibility = rule.match.reversibility?.[0] ?? route?.reversibility ?? 'partially_reversible';
    const path = rule.match.path !== undefined ? instantiate(rule.match.path) : route !== undefined ? instantiate(route.path) : `/${operation}`;
    const descriptor: ActionDescriptor = {
      agent: rule.match.agents?.[0] ?? 'sample-agent',
      actuator,
      operation,
      target: 'sample-target',
      parameters: {},
      reversibility,
      request: { method: route?.method ?? 'POST', path, bodySha256: EMPTY_BODY_SHA256 },
    };
    const amt = sampleAmount(rule);
    if (amt !== undefined) Object.assign(descriptor, amt);
    out.push({ label: `rule ${rule.id}`, descriptor });
  }
  const first = actuators[0] ?? 'sample-actuator';
  out.push({
    label: 'an operation no rule names',
    descriptor: {
      agent: 'sample-agent',
      actuator: first,
      operation: 'unlisted_operation',
      target: 'sample-target',
      parameters: {},
      reversibility: 'partially_reversible',
      request: { method: 'POST', path: '/unlisted', bodySha256: EMPTY_BODY_SHA256 },
    },
  });
  return out;
}
