import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A reason and a confirmation (veto, report). It takes focus when it opens, so a keyboard or
 * screen-reader user lands in it.
 */
export function ReasonForm(props: { id: string; label: string; confirm: string; danger?: boolean; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div class="veto">
      <label for={props.id}>{props.label}</label>
      <textarea ref={ref} id={props.id} maxLength={500} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
      <div class="actions">
        <button type="button" class={props.danger === true ? 'danger' : 'primary'} onClick={() => props.onConfirm(reason)}>
          {props.confirm}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
