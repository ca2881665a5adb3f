import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, money, type InboxItem, type Me } from '../api.ts';
import { navigate } from '../router.ts';
import { loadConfusables, Untrusted } from '../untrusted-text.tsx';
import { PushToggle } from './push-toggle.tsx';
import { ReasonForm } from './reason-form.tsx';

const GROUPS: { kind: InboxItem['kind']; title: string; note?: string }[] = [
  { kind: 'signature', title: 'Awaiting your signature' },
  { kind: 'share', title: 'Awaiting your share of a quorum' },
  { kind: 'veto', title: 'Cooling: you may veto' },
  { kind: 'comparator', title: 'Comparator reviews' },
  { kind: 'witness', title: 'Witness requests' },
  { kind: 'witnessed', title: 'Awaiting you, with a witness', note: 'A witness (a compliance officer) meets you, reads you the request and confirms it with their own passkey. Nothing to sign on this phone.' },
];

export function remaining(deadline: string | undefined, now: number): string {
  if (deadline === undefined) return '';
  const s = Math.max(0, Math.round((Date.parse(deadline) - now) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${m} min` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** The inbox, live: the gateway's event stream says when something changed, the list is then read again. */
export function InboxScreen({ me }: { me: Me }) {
  const [items, setItems] = useState<InboxItem[] | undefined>();
  const [now, setNow] = useState(Date.now());
  const [live, setLive] = useState(true);
  const [, rerender] = useState(0);

  useEffect(() => {
    const es = new EventSource('/app/api/inbox/events');
    const reload = () => void api<{ items: InboxItem[] }>('GET', '/inbox').then((d) => setItems(d.items), () => undefined);
    es.addEventListener('inbox', (e) => setItems((JSON.parse((e as MessageEvent<string>).data) as { items: InboxItem[] }).items));
    for (const ev of ['changed', 'challenge', 'challenge_closed', 'locked']) es.addEventListener(ev, reload);
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    // Look-alike characters are flagged once their table has loaded (it is not needed to show the inbox).
    void loadConfusables().then(() => rerender((n) => n + 1));
    return () => {
      es.close();
      clearInterval(tick);
    };
  }, []);
  useEffect(() => {
    if (items === undefined) return;
    document.body.dataset['ready'] = 'inbox';
    performance.mark('af-inbox-ready'); // npm run bench: navigation to an interactive inbox
  }, [items !== undefined]);

  return (
    <section aria-labelledby="h-inbox">
      <h1 id="h-inbox" tabIndex={-1}>
        Inbox
      </h1>
      <p class="status" role="status">
        {items === undefined ? 'Loading…' : items.length === 0 ? 'Nothing waits for you.' : `${items.length} waiting for you.`}
        {!live && ' Reconnecting…'}
      </p>
      {items !== undefined &&
        GROUPS.map((g) => {
          const list = items.filter((i) => i.kind === g.kind);
          if (list.length === 0) return null;
          return (
            <section key={g.kind} aria-labelledby={`h-${g.kind}`}>
              <h2 id={`h-${g.kind}`}>{g.title}</h2>
              {g.note !== undefined && <p class="hint">{g.note}</p>}
              <ul class="cards">
                {list.map((i) => (
                  <li key={`${i.kind}-${i.actionId}`}>
                    <Card item={i} now={now} onChanged={() => void api<{ items: InboxItem[] }>('GET', '/inbox').then((d) => setItems(d.items))} />
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      <PushToggle me={me} />
    </section>
  );
}

/** Where an item leads: its own screen (sign, review the evidence, witness); a veto is answered on the card. */
export function nextStep(item: InboxItem): { label: string; path: string } | undefined {
  const action = encodeURIComponent(item.actionId);
  const challenge = encodeURIComponent(item.challengeId ?? '');
  switch (item.kind) {
    case 'signature':
    case 'share':
      return item.challengeId === undefined ? undefined : { label: item.kind === 'share' ? 'Sign your share' : 'Sign', path: `/sign/${challenge}?action=${action}` };
    case 'comparator':
      return { label: 'Review evidence', path: `/comparator/${action}` };
    case 'witness':
      return item.challengeId === undefined ? undefined : { label: 'Witness', path: `/witness/${challenge}` };
    default:
      return undefined;
  }
}

function Card({ item, now, onChanged }: { item: InboxItem; now: number; onChanged: () => void }) {
  const [vetoing, setVetoing] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const veto = async (reason: string) => {
    setError(undefined);
    try {
      await api('POST', `/actions/${encodeURIComponent(item.actionId)}/veto`, { reason });
      setDone('Vetoed. It will not run.');
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The veto did not go through; try again.');
    }
  };
  const left = remaining(item.deadline, now);
  const next = nextStep(item);
  return (
    <article class={`card tier-${item.tier.toLowerCase()}`} aria-label={`${item.tier} ${item.operation}`}>
      <p class="tier">
        <span class="badge">{item.tier}</span>
        {item.deadline !== undefined && (
          <span class="deadline">{item.kind === 'veto' ? `runs in ${left}` : `expires in ${left}`}</span>
        )}
      </p>
      <p class="what">
        <Untrusted value={item.operation} warn={false} />
        {item.amount !== undefined && item.currency !== undefined && <strong>{` ${money(item.amount, item.currency)}`}</strong>}
      </p>
      <p class="to">
        <span class="label">To </span>
        <Untrusted value={item.target} />
      </p>
      <p class="by">
        <span class="label">Asked by agent </span>
        <Untrusted value={item.agent} warn={false} />
        {item.person !== undefined && (
          <>
            <span class="label">{' · witness for '}</span>
            <Untrusted value={item.person} warn={false} />
          </>
        )}
      </p>
      <div class="actions">
        {next !== undefined && (
          <a class="button primary" href={`/app${next.path}`} onClick={(e) => { e.preventDefault(); navigate(next.path); }}>
            {next.label}
          </a>
        )}
        <a class="button secondary" href={`/app/actions/${encodeURIComponent(item.actionId)}`} onClick={(e) => { e.preventDefault(); navigate(`/actions/${encodeURIComponent(item.actionId)}`); }}>
          Details
        </a>
        {item.kind === 'veto' && !vetoing && done === undefined && (
          <button type="button" class="danger" onClick={() => setVetoing(true)}>
            Veto
          </button>
        )}
      </div>
      {vetoing && done === undefined && (
        <ReasonForm id={`reason-${item.actionId}`} label="Why do you veto it? (optional)" confirm="Confirm veto" danger onConfirm={veto} onCancel={() => setVetoing(false)} />
      )}
      {done !== undefined && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}
