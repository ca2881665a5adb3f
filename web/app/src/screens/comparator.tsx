import { startAuthentication } from '@simplewebauthn/browser';
import { useEffect, useState } from 'preact/hooks';
import { canonicalJson } from '../../../../src/core/canonical-json.ts';
import { api, ApiError, signingDevice, type EvidencePackage, type EvidenceReport, type LogVerifierKey, type Me } from '../api.ts';
import { checkComparatorOptions, DeviceRefusal } from '../cosign/statements.ts';
import { loadConfusables } from '../untrusted-text.tsx';
import { BackToInbox, ErrorAlert, usePasskeyStep } from './common.tsx';
import { ActionSummary } from './action-summary.tsx';
import { Approvals, Checks } from './evidence-view.tsx';

type Options = Parameters<typeof checkComparatorOptions>[0] & { evidence: EvidencePackage; options: Parameters<typeof startAuthentication>[0]['optionsJSON'] };

async function verifierKey(): Promise<LogVerifierKey> {
  const r = await fetch('/log/v1/verifier-key', { credentials: 'omit' });
  if (!r.ok) throw new Error('the log’s verifier key could not be read');
  return (await r.json()) as LogVerifierKey;
}

/** The proof code, loaded with this screen only (clients/regulator/evidence.ts). */
const checker = () => import('@evidence-check').then((m) => m.checkEvidence);

/** Why there is no co-sign button: the checks failed, the action is past its quorum, or the quorum is not complete yet. */
function cosignClosed(e: EvidencePackage, r: EvidenceReport | undefined): string {
  if (r?.ok === false) return 'Co-signing is not offered: the evidence failed its checks.';
  if (e.action.status !== 'awaiting_quorum') return `Nothing to co-sign: the action is ${e.action.status.replace(/_/g, ' ')}.`;
  return 'Co-signing opens once the approvers’ quorum is complete and the evidence checks pass.';
}

/**
 * The comparator of a CRITICAL action (docs/protocol.md §9): the evidence package, every proof in
 * it checked here in the browser against the signed checkpoint and the HSM-attested log key, then
 * the co-signature with this person's passkey. The button exists only while every check passes;
 * the package the gateway binds into the co-signature is checked again, and the statement and
 * passkey challenge recomputed, before the passkey signs.
 */
export function ComparatorScreen({ id, me }: { id: string; me: Me }) {
  const [evidence, setEvidence] = useState<EvidencePackage | undefined>();
  const [report, setReport] = useState<EvidenceReport | undefined>();
  const { busy, error, setError, run } = usePasskeyStep('Nothing was co-signed.');
  const [done, setDone] = useState<string | undefined>();

  const load = async () => {
    try {
      const [e, vk, check] = await Promise.all([api<EvidencePackage>('GET', `/actions/${encodeURIComponent(id)}/evidence`), verifierKey(), checker(), loadConfusables()]);
      setEvidence(e);
      setReport(await check(e, vk));
    } catch (x) {
      setError(x instanceof ApiError ? x.message : 'The evidence could not be loaded or checked.');
    }
  };
  useEffect(() => {
    void load();
    // The package changes as approvers sign: read and check it again on every change of this action.
    const es = new EventSource('/app/api/inbox/events');
    es.addEventListener('changed', (m) => {
      if ((JSON.parse((m as MessageEvent<string>).data) as { actionId?: string }).actionId === id) void load();
    });
    return () => es.close();
  }, [id]);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [evidence === undefined]);

  const credentialId = signingDevice(me);
  const canCosign = evidence !== undefined && report?.ok === true && evidence.quorum?.quorumMet === true && evidence.action.status === 'awaiting_quorum' && credentialId !== undefined && done === undefined;

  const cosign = () =>
    run(async () => {
      if (evidence === undefined || credentialId === undefined) return;
      const o = await api<Options>('POST', `/actions/${encodeURIComponent(id)}/comparator/options`, { credentialId });
      // What the passkey will bind is checked as the reviewed package was, and must say the same about the approvals.
      const again = await (await checker())(o.evidence, await verifierKey());
      if (!again.ok) throw new DeviceRefusal('the package to be signed does not verify');
      if (canonicalJson(o.evidence.approvals) !== canonicalJson(evidence.approvals) || o.evidence.digest !== evidence.digest) throw new DeviceRefusal('the package changed since you reviewed it; review it again');
      checkComparatorOptions(o, { actionId: evidence.action.id, digest: evidence.digest, comparator: me.id, credentialId });
      const credential = await startAuthentication({ optionsJSON: o.options });
      const r = await api<{ authorised: boolean; actionStatus: string }>('POST', `/actions/${encodeURIComponent(id)}/comparator`, { credential });
      setDone(r.authorised ? 'Co-signed. The quorum is complete and the action is authorised.' : `Co-signed. The action is ${r.actionStatus.replace(/_/g, ' ')}.`);
      void load();
    });

  return (
    <article aria-labelledby="h-comparator" class="detail">
      <BackToInbox />
      <h1 id="h-comparator" tabIndex={-1}>
        Comparator review
      </h1>
      {evidence === undefined && error === undefined && <p class="boot">Loading and checking the evidence…</p>}
      {evidence !== undefined && (
        <>
          <p class={`tier tier-${evidence.action.tier.toLowerCase()}`}>
            <span class="badge">{evidence.action.tier}</span> · <span class="state">{evidence.action.status.replace(/_/g, ' ')}</span>
          </p>
          <ActionSummary descriptor={evidence.descriptor} digest={evidence.digest} tier={evidence.action.tier} />
          {report === undefined ? <p class="status">Checking the proofs…</p> : <Checks report={report} />}
          {report !== undefined && <Approvals evidence={evidence} report={report} />}
          <section aria-labelledby="h-cosign" class="decide">
            <h2 id="h-cosign">Your co-signature</h2>
            {done !== undefined && (
              <p class="ok" role="status">
                {done}
              </p>
            )}
            {canCosign ? (
              <>
                <p>By co-signing you confirm that you checked this evidence and that the approvals above authorise this exact action.</p>
                <button type="button" class="primary" onClick={cosign} disabled={busy}>
                  {busy ? 'Waiting for your passkey…' : 'Co-sign with passkey'}
                </button>
              </>
            ) : (
              done === undefined && <p class="status">{cosignClosed(evidence, report)}</p>
            )}
          </section>
        </>
      )}
      <ErrorAlert text={error} />
    </article>
  );
}
