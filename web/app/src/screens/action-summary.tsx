import { money } from '../api.ts';
import { Untrusted } from '../untrusted-text.tsx';
import { Field } from './common.tsx';

/** What an agent asked, as the comparator and the witness see it: every agent-supplied field as untrusted text. */
export interface SummaryDescriptor {
  operation: string;
  target: string;
  actuator: string;
  agent: string;
  amount?: number;
  currency?: string;
}

/** The digest as people compare it: its first 16 hex digits in groups of four (as the action detail shows it). */
export function fingerprintOf(digest: string): string {
  return (digest.slice(0, 16).match(/.{4}/g) ?? []).join(' ');
}

/** The fields an agent supplied, each as untrusted text: the same rows wherever an action is shown. */
export function DescriptorFields({ x }: { x: SummaryDescriptor }) {
  return (
    <>
      <Field name="Operation">
        <Untrusted value={x.operation} />
      </Field>
      <Field name="Amount">{x.amount !== undefined && x.currency !== undefined ? money(x.amount, x.currency) : '—'}</Field>
      <Field name="Payee or target">
        <Untrusted value={x.target} />
      </Field>
      <Field name="Actuator">
        <Untrusted value={x.actuator} />
      </Field>
      <Field name="Agent">
        <Untrusted value={x.agent} />
      </Field>
    </>
  );
}

export function ActionSummary({ descriptor: x, digest, tier }: { descriptor: SummaryDescriptor; digest: string; tier: string }) {
  return (
    <section aria-labelledby="h-what" class="plain">
      <h2 id="h-what">What the agent asks</h2>
      <dl class="fields">
        <DescriptorFields x={x} />
        <Field name="Tier">{tier}</Field>
      </dl>
      <p class="fingerprint">
        <span class="label">Fingerprint </span>
        <code>{fingerprintOf(digest)}</code>
        <span class="hint"> The same fingerprint appears wherever this exact action is signed.</span>
      </p>
    </section>
  );
}
