import type { Observation } from './history.ts';
import { utc } from './format.ts';
import { Verdict } from './parts.tsx';
import type { CheckedCheckpoint } from './checkpoint-check.ts';

function HistoryVerdict({ o }: { o: Observation }) {
  switch (o.state) {
    case 'first':
      return <Verdict ok="skip">the first checkpoint this browser has seen of this log; later ones will be checked against it.</Verdict>;
    case 'same':
      return <Verdict ok>{`the same tree (size ${o.against.size}) this browser saw at ${utc(o.against.seenAt)}.`}</Verdict>;
    case 'consistent':
      return <Verdict ok>{`it extends the tree of size ${o.against.size} this browser saw at ${utc(o.against.seenAt)} (consistency proof checked here).`}</Verdict>;
    case 'stale':
      return <Verdict ok="warn">{`an older checkpoint than the one of size ${o.against.size} seen before; it is a prefix of it (checked).`}</Verdict>;
    case 'unchecked':
      return <Verdict ok="skip">{`could not be compared with size ${o.against.size} seen before: ${o.message}`}</Verdict>;
    case 'conflict':
      return <Verdict ok={false}>{o.conflict.message}</Verdict>;
  }
}

/** A checkpoint's three questions: signed by the log key? is that key the HSM's? consistent with what was seen before? */
export function CheckpointPanel({ c }: { c: CheckedCheckpoint }) {
  const a = c.key.attestation;
  return (
    <dl class="fields checks">
      <div class="field">
        <dt>Log</dt>
        <dd>
          <code>{c.key.origin}</code>
        </dd>
      </div>
      {c.signature.ok && (
        <>
          <div class="field">
            <dt>Tree size</dt>
            <dd>{c.signature.checkpoint.size.toLocaleString('en')} entries</dd>
          </div>
          <div class="field">
            <dt>Root hash</dt>
            <dd>
              <code>{c.signature.checkpoint.rootHash}</code>
            </dd>
          </div>
        </>
      )}
      <div class="field">
        <dt>Signature</dt>
        <dd>{c.signature.ok ? <Verdict ok>by the log key {c.key.vkey.split('+')[1]}.</Verdict> : <Verdict ok={false}>{`${c.signature.code}: ${c.signature.message}`}</Verdict>}</dd>
      </div>
      <div class="field">
        <dt>Log key attested by the HSM</dt>
        <dd>
          {a.state === 'verified' && <Verdict ok>{`the key's certificate chain leads to the pinned root (${a.leafSubject}).`}</Verdict>}
          {a.state === 'unpinned' && <Verdict ok="skip">no HSM root pinned in this browser: the key is the one the gateway serves, unproven.</Verdict>}
          {a.state === 'failed' && <Verdict ok={false}>{`${a.code}: ${a.message}`}</Verdict>}
        </dd>
      </div>
      {c.history !== undefined && (
        <div class="field">
          <dt>Against earlier checkpoints</dt>
          <dd>
            <HistoryVerdict o={c.history} />
          </dd>
        </div>
      )}
    </dl>
  );
}
