import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, money, type ActionDetail, type Me } from '../api.ts';
import { inspect, loadConfusables, Untrusted } from '../untrusted-text.tsx';
import { DescriptorFields } from './action-summary.tsx';
import { BackToInbox, Field } from './common.tsx';
import { Decision } from './decision.tsx';
import { Trail } from './trail.tsx';

const TIER_TEXT: Record<string, string> = {
  LOW: 'runs at once',
  MEDIUM: 'waits a cooling period anyone designated may veto',
  HIGH: 'needs one person’s live signature',
  CRITICAL: 'needs several people and a comparator',
};

/** What you see is what you sign: plain language first, then every raw field, then what you may do. */
export function ActionScreen({ id }: { id: string; me: Me }) {
  const [d, setD] = useState<ActionDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  // Bumped on every reload, so the trail is read again with the action.
  const [version, setVersion] = useState(0);
  const load = () =>
    Promise.all([api<ActionDetail>('GET', `/actions/${encodeURIComponent(id)}`), loadConfusables()]).then(
      ([x]) => {
        setD(x);
        setVersion((v) => v + 1);
      },
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'This action could not be loaded.'),
    );
  useEffect(() => {
    void load();
  }, [id]);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [d === undefined]);

  if (error !== undefined && d === undefined) {
    return (
      <section aria-labelledby="h-action">
        <h1 id="h-action" tabIndex={-1}>
          Action
        </h1>
        <p class="error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  if (d === undefined) return <p class="boot">Loading…</p>;
  const a = d.action;
  const x = a.descriptor;
  const deadline = a.notBefore ?? a.expiresAt;
  return (
    <article aria-labelledby="h-action" class="detail">
      <BackToInbox />
      <h1 id="h-action" tabIndex={-1}>
        <Untrusted value={x.operation} warn={false} />
        {x.amount !== undefined && x.currency !== undefined && ` ${money(x.amount, x.currency)}`}
      </h1>
      <p class={`tier tier-${a.tier.toLowerCase()}`}>
        <span class="badge">{a.tier}</span> {TIER_TEXT[a.tier] ?? ''} · <span class="state">{a.status.replace(/_/g, ' ')}</span>
      </p>
      {[x.target, x.operation, x.agent].some((v) => { const f = inspect(v); return f.bidi + f.hidden + f.confusable > 0; }) && (
        <p class="warning" role="note">
          Careful: what the agent wrote contains hidden, direction-changing or look-alike characters. They are marked below; read the payee character by character.
        </p>
      )}
      <section aria-labelledby="h-plain" class="plain">
        <h2 id="h-plain">In plain words</h2>
        <p>
          Agent <Untrusted value={d.agent.id} warn={false} />
          {d.agent.owner !== undefined && (
            <>
              {' (owned by '}
              <Untrusted value={d.agent.owner} warn={false} />
              {')'}
            </>
          )}
          {' asks to '}
          <Untrusted value={x.operation} warn={false} />
          {x.amount !== undefined && x.currency !== undefined && <strong>{` ${money(x.amount, x.currency)}`}</strong>}
          {' to '}
          <strong>
            <Untrusted value={x.target} warn={false} />
          </strong>
          {` through ${x.actuator}. It is ${x.reversibility.replace(/_/g, ' ')}.`}
        </p>
        <p class="fingerprint">
          <span class="label">Fingerprint </span>
          <code>{d.fingerprint}</code>
          <span class="hint"> The same fingerprint appears wherever this exact action is signed.</span>
        </p>
      </section>
      <section aria-labelledby="h-raw">
        <h2 id="h-raw">Exactly what was asked</h2>
        <dl class="fields">
          <DescriptorFields x={x} />
          <Field name="Agent’s owner">{d.agent.owner === undefined ? '—' : <Untrusted value={d.agent.owner} />}</Field>
          <Field name="Tier">{a.tier}</Field>
          <Field name="Rule">
            <Untrusted value={a.rule} />
          </Field>
          <Field name="Reasons">
            <ul>
              {a.reasons.map((r, i) => (
                <li key={i}>
                  <Untrusted value={r} />
                </li>
              ))}
            </ul>
          </Field>
          <Field name="Velocity">
            {d.velocity.length === 0 ? (
              'No velocity limit applies.'
            ) : (
              <ul>
                {d.velocity.map((v) => (
                  <li key={v.rule}>
                    {`${v.count} earlier in the window of `}
                    <Untrusted value={v.rule} warn={false} />
                    {x.currency !== undefined && v.amount > 0 ? `, ${money(v.amount, x.currency)} in total` : ''}
                  </li>
                ))}
              </ul>
            )}
          </Field>
          <Field name="Branch Card">
            {d.branchCard.supplied ? (
              <>
                <code class="wrap">{d.branchCard.sha256}</code>
                {d.branchCard.gates.length > 0 && (
                  <ul>
                    {d.branchCard.gates.map((g, i) => (
                      <li key={i}>
                        <Untrusted value={g} />
                      </li>
                    ))}
                  </ul>
                )}
              </>
            ) : (
              'None supplied'
            )}
          </Field>
          <Field name={a.status === 'cooling' ? 'Runs at' : 'Deadline'}>{deadline === undefined ? '—' : new Date(deadline).toLocaleString()}</Field>
          <Field name="Reversibility">{x.reversibility.replace(/_/g, ' ')}</Field>
          <Field name="Request">
            <Untrusted value={`${x.request.method} ${x.request.path}`} />
          </Field>
          <Field name="Parameters">
            <pre class="params">
              <Untrusted value={JSON.stringify(x.parameters, null, 2)} multiline />
            </pre>
          </Field>
          <Field name="Action digest">
            <code class="wrap">{a.digest}</code>
          </Field>
          <Field name="Action id">
            <code class="wrap">{a.id}</code>
          </Field>
        </dl>
      </section>
      <Decision d={d} onChanged={() => void load()} />
      <Trail actionId={a.id} version={version} />
    </article>
  );
}
