import { useState } from 'preact/hooks';
import { api, ApiError, type ActionDetail } from '../api.ts';
import { navigate } from '../router.ts';
import { ReasonForm } from './reason-form.tsx';

type Mode = 'veto' | 'decline' | 'report';

const FORM: Record<Mode, { label: string; confirm: string; danger: boolean; required: boolean; done: string }> = {
  veto: { label: 'Why do you veto it? (optional)', confirm: 'Confirm veto', danger: true, required: false, done: 'Vetoed. It will not run.' },
  decline: {
    label: 'Why do you decline to sign?',
    confirm: 'Confirm decline',
    danger: true,
    required: true,
    done: 'Declined. You will not be asked to sign it again; your reason is in the log. It runs only if others sign.',
  },
  report: { label: 'What looks wrong? (optional)', confirm: 'Send report', danger: false, required: false, done: 'Reported. Administrators were told; the log records it.' },
};

/** What this person may do about the action: sign, review as comparator, witness, veto, decline with a reason, report. */
export function Decision({ d, onChanged }: { d: ActionDetail; onChanged: () => void }) {
  const [mode, setMode] = useState<Mode | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const id = encodeURIComponent(d.action.id);
  const submit = async (reason: string) => {
    if (mode === undefined) return;
    setError(undefined);
    try {
      await api('POST', `/actions/${id}/${mode}`, { reason });
      setDone(FORM[mode].done);
      setMode(undefined);
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'That did not go through; try again.');
    }
  };
  const go = (path: string) => navigate(path);
  return (
    <section aria-labelledby="h-do" class="decide">
      <h2 id="h-do">Your decision</h2>
      {done !== undefined && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <div class="actions">
        {d.can.sign !== null && (
          <button type="button" class="primary" onClick={() => go(`/sign/${encodeURIComponent(d.can.sign!)}?action=${id}`)}>
            Sign
          </button>
        )}
        {d.can.review && (
          <button type="button" class="primary" onClick={() => go(`/comparator/${id}`)}>
            Review evidence
          </button>
        )}
        {d.can.witness !== null && (
          <button type="button" class="primary" onClick={() => go(`/witness/${encodeURIComponent(d.can.witness!)}`)}>
            Witness
          </button>
        )}
        {d.can.decline && (
          <button type="button" class="danger" onClick={() => setMode('decline')}>
            Decline
          </button>
        )}
        {d.can.veto && (
          <button type="button" class="danger" onClick={() => setMode('veto')}>
            Veto
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setMode('report')}>
          Report as suspicious
        </button>
      </div>
      {mode !== undefined && (
        <ReasonForm key={mode} id="reason" label={FORM[mode].label} confirm={FORM[mode].confirm} danger={FORM[mode].danger} required={FORM[mode].required} onConfirm={submit} onCancel={() => setMode(undefined)} />
      )}
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
