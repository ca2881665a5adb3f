import { useEffect, useRef, useState } from 'preact/hooks';
import { api, signingDevice, type Me } from '../api.ts';

/** What the host hears when the signing module is done (the module's SigningResult, in part). */
export interface SigningDone {
  accepted: boolean;
  /** The module's outcome code (web/app/src/signing/README.md), e.g. `refused`, `sensor`. */
  outcome: string;
  /** A fresh challenge the gateway issued for another try (docs/protocol.md §5). */
  nextChallengeId?: string;
}

/**
 * Mounts the live signing module (src/signing/, loaded on demand: it is not part of what the
 * inbox needs) into a container of its own, for the signed-in person. The module owns everything
 * inside the container, and authenticates with the app's session cookie.
 */
export function SigningHost(props: { challengeId: string; actionId?: string; purpose: 'action' | 'enrolment'; onDone?: (r: SigningDone) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let unmount: (() => void) | void;
    let gone = false;
    Promise.all([import('@signing'), api<Me>('GET', '/me')]).then(
      ([m, me]) => {
        if (gone || ref.current === null) return;
        // The passkey on this phone (the one the session was opened with), whichever of the person's it is.
        const credentialId = signingDevice(me);
        unmount = m.mountSigning(ref.current, {
          personId: me.id,
          mode: props.purpose === 'enrolment' ? 'calibrate' : 'sign',
          challengeId: props.challengeId,
          ...(props.actionId === undefined ? {} : { actionId: props.actionId }),
          ...(credentialId === undefined ? {} : { credentialId }),
          onDone: (r) => props.onDone?.({ accepted: r.outcome === 'accepted', outcome: r.outcome, ...(r.nextChallengeId === undefined ? {} : { nextChallengeId: r.nextChallengeId }) }),
        });
      },
      () => setFailed(true),
    );
    return () => {
      gone = true;
      if (typeof unmount === 'function') unmount();
    };
  }, [props.challengeId]);
  return (
    <div class="signing" ref={ref}>
      {failed && (
        <p class="error" role="alert">
          The signing screen could not be loaded. Check your connection and try again.
        </p>
      )}
    </div>
  );
}
