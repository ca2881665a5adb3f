import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A reason and a confirmation (veto, decline, report). It takes focus when it opens, so a keyboard
 * or screen-reader user lands in it. `required`: the confirmation waits for a reason (a decline
 * says why).
 */
export function ReasonForm(props: { id: string; label: string; confirm: string; danger?: boolean; required?: boolean; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const missing = props.required === true && reason.trim() === '';
  return (
    <div class="veto">
      <label for={props.id}>{props.label}</label>
      <textarea
        ref={ref}
        id={props.id}
        maxLength={500}
        value={reason}
        required={props.required === true}
        aria-describedby={props.required === true ? `${props.id}-hint` : undefined}
        onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)}
      />
      {props.required === true && (
        <span class="hint" id={`${props.id}-hint`}>
          Required: the log keeps your reason with your decision.
        </span>
      )}
      <div class="actions">
        <button type="button" class={props.danger === true ? 'danger' : 'primary'} disabled={missing} onClick={() => props.onConfirm(reason.trim())}>
          {props.confirm}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
