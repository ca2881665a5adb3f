import { useState } from 'preact/hooks';
import { navigate } from '../router.ts';
import { SigningHost, type SigningDone } from './signing-host.tsx';

/**
 * The live signing screen: the signing module owns the session (what is signed, the sensors, the
 * guided ~30 s, the passkey); this page frames it and offers what comes next. The module's own
 * message (accepted, or why not in words that name no check) stays for the person to read.
 */
export function SignScreen({ challengeId }: { challengeId: string }) {
  const actionId = new URLSearchParams(location.search).get('action') ?? undefined;
  const [done, setDone] = useState<SigningDone | undefined>();
  const go = (path: string) => (e: Event) => {
    e.preventDefault();
    navigate(path);
  };
  const retry = done?.nextChallengeId;
  return (
    <section aria-labelledby="h-sign">
      <h1 id="h-sign" tabIndex={-1}>
        Sign
      </h1>
      <SigningHost key={challengeId} challengeId={challengeId} {...(actionId === undefined ? {} : { actionId })} purpose="action" onDone={setDone} />
      <div class="actions">
        {retry !== undefined && !done!.accepted && (
          <button type="button" class="primary" onClick={() => { setDone(undefined); navigate(`/sign/${encodeURIComponent(retry)}${actionId === undefined ? '' : `?action=${encodeURIComponent(actionId)}`}`); }}>
            Try again
          </button>
        )}
        {actionId !== undefined && (
          <a class="button secondary" href={`/app/actions/${encodeURIComponent(actionId)}`} onClick={go(`/actions/${encodeURIComponent(actionId)}`)}>
            Back to the request
          </a>
        )}
        <a class="button secondary" href="/app/inbox" onClick={go('/inbox')}>
          Back to inbox
        </a>
      </div>
    </section>
  );
}
