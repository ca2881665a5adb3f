import { navigate } from '../router.ts';
import { SigningHost } from './signing-host.tsx';

/**
 * The live signing screen: the signing module owns it; this page frames it and leads back. After a
 * signature the inbox opens; after anything else the module's message stays for the person to read.
 */
export function SignScreen({ challengeId }: { challengeId: string }) {
  const actionId = new URLSearchParams(location.search).get('action') ?? undefined;
  return (
    <section aria-labelledby="h-sign">
      <h1 id="h-sign" tabIndex={-1}>
        Sign
      </h1>
      <SigningHost challengeId={challengeId} {...(actionId === undefined ? {} : { actionId })} purpose="action" onDone={(r) => r.accepted && navigate('/inbox')} />
      <p>
        <a href="/app/inbox" onClick={(e) => { e.preventDefault(); navigate('/inbox'); }}>
          Back to inbox
        </a>
      </p>
    </section>
  );
}
