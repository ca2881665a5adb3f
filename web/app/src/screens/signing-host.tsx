import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Mounts the live signing module (src/signing/, loaded on demand: it is not part of what the
 * inbox needs) into a container of its own. The module owns everything inside the container.
 */
export function SigningHost(props: { challengeId: string; actionId?: string; purpose: 'action' | 'enrolment'; onDone?: (r: { accepted: boolean }) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let unmount: (() => void) | void;
    let gone = false;
    import('@signing').then(
      (m) => {
        if (gone || ref.current === null) return;
        unmount = m.mountSigning(ref.current, {
          challengeId: props.challengeId,
          ...(props.actionId === undefined ? {} : { actionId: props.actionId }),
          purpose: props.purpose,
          onDone: (r: { accepted: boolean }) => props.onDone?.(r),
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
