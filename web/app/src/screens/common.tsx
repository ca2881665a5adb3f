import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { DeviceRefusal } from '../cosign/device-refusal.ts';
import { navigate } from '../router.ts';

/** The way back, on every screen an inbox item leads to. */
export function BackToInbox() {
  return (
    <p>
      <a href="/app/inbox" onClick={(e) => { e.preventDefault(); navigate('/inbox'); }}>
        ← Inbox
      </a>
    </p>
  );
}

/** A failure, announced as it appears (a live region). */
export function ErrorAlert({ text }: { text: string | undefined }) {
  return text === undefined ? null : (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

/** One name–value row of a `<dl class="fields">`. */
export function Field({ name, children }: { name: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

/**
 * What a person reads when a passkey ceremony did not complete: the phone refused (and why), the
 * gateway refused (its words), or the passkey was not used; always followed by what did not happen.
 */
function passkeyFailure(x: unknown, nothing: string): string {
  if (x instanceof DeviceRefusal) return `Your phone did not sign: ${x.message}. ${nothing}`;
  if (x instanceof ApiError) return `${x.message}. ${nothing}`;
  return `The passkey did not sign. ${nothing} Try again.`;
}

/** A passkey step (co-sign, witness): busy while it runs, and the failure in words, `nothing` saying what did not happen. */
export function usePasskeyStep(nothing: string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const run = async (step: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await step();
    } catch (x) {
      setError(passkeyFailure(x, nothing));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
