import { useEffect, useState } from 'preact/hooks';
import { api, type TrailItem } from '../api.ts';
import { Untrusted } from '../untrusted-text.tsx';

/** Log entry types in plain words; others are shown by their type. */
const WORDS: Record<string, string> = {
  'action.received': 'Received from the agent',
  'action.classified': 'Classified',
  'action.cooling': 'Cooling started',
  'action.awaiting_signature': 'Waiting for a signature',
  'action.awaiting_quorum': 'Waiting for its quorum',
  'action.vetoed': 'Vetoed',
  'action.reported_suspicious': 'Reported as suspicious',
  'action.approval_recorded': 'Approval counted',
  'action.approval_refused': 'Approval refused',
  'action.authorised': 'Authorised',
  'action.dispatched': 'Sent to the actuator',
  'action.executed': 'Executed',
  'action.expired': 'Expired',
  'action.failed': 'Failed',
  'action.blocked': 'Blocked',
  'signature.challenge_issued': 'Signature asked of',
  'signature.session_started': 'Signing started by',
  'signature.verified': 'Signed by',
  'signature.refused': 'Signature refused for',
  'signature.declined': 'Declined by',
  'signature.challenge_closed': 'Signature request closed for',
  'signature.witness_started': 'Witnessing started by',
  'comparator.cosign_started': 'Comparator review started by',
  'comparator.cosign_refused': 'Comparator signature refused for',
};

/**
 * The action's trail: its log entries, oldest first, as a person reads them. People's reasons
 * (a veto's, a decline's, a report's) are their own words, shown as untrusted text.
 */
export function Trail({ actionId, version }: { actionId: string; version: number }) {
  const [items, setItems] = useState<TrailItem[] | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    void api<{ items: TrailItem[] }>('GET', `/actions/${encodeURIComponent(actionId)}/trail`).then(
      (t) => setItems(t.items),
      () => setFailed(true),
    );
  }, [actionId, version]);
  return (
    <section aria-labelledby="h-trail">
      <h2 id="h-trail">What happened so far</h2>
      {failed && <p class="error">The trail could not be loaded.</p>}
      {items !== undefined && (
        <ol class="trail">
          {items.map((t) => (
            <li key={t.logIndex}>
              <span class="what-happened">{WORDS[t.type] ?? t.type}</span>
              {t.who !== undefined && (
                <>
                  {' '}
                  <Untrusted value={t.who} warn={false} />
                </>
              )}
              {t.role !== undefined && <span class="label">{` (${t.role})`}</span>}
              {t.at !== undefined && (
                <time class="hint" dateTime={t.at}>
                  {new Date(t.at).toLocaleString()} · log entry {t.logIndex}
                </time>
              )}
              {t.reason !== undefined && t.reason !== '' && (
                <span class="reason">
                  <span class="label">Reason: </span>
                  <Untrusted value={t.reason} />
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
