import type { ActionDescriptor } from '../action/descriptor.ts';

/**
 * What the person authorises, in plain language (PSD2 dynamic linking, RTS art. 5: the amount and
 * the payee shown are the ones the authentication code binds). The summary is derived from the
 * descriptor alone, and the descriptor's canonical SHA-256 is the digest the signature binds, so
 * a device can recompute the digest from what it displays: what you see is what you sign.
 */
export interface ActionSummary {
  text: string;
  operation: string;
  actuator: string;
  target: string;
  amount?: number;
  currency?: string;
  agent: string;
  reversibility: string;
  tier: string;
}

function money(amount: number, currency: string): string {
  // Fixed formatting (no locale): the same text on every device and in the log.
  const [int, frac] = amount.toFixed(2).split('.') as [string, string];
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac} ${currency}`;
}

export function summariseAction(d: ActionDescriptor, tier: string): ActionSummary {
  const what = d.amount !== undefined && d.currency !== undefined ? `${d.operation} of ${money(d.amount, d.currency)}` : d.operation;
  const rev = d.reversibility.replace(/_/g, ' ');
  const text =
    `Authorise ${what} to/on '${d.target}' through actuator '${d.actuator}', requested by agent '${d.agent}' ` +
    `(${tier}, ${rev}; ${d.request.method} ${d.request.path}).`;
  return {
    text,
    operation: d.operation,
    actuator: d.actuator,
    target: d.target,
    ...(d.amount === undefined ? {} : { amount: d.amount }),
    ...(d.currency === undefined ? {} : { currency: d.currency }),
    agent: d.agent,
    reversibility: d.reversibility,
    tier,
  };
}
