import type { Modality } from '../../../src/core/policy/modality.ts';
import { mountSigning, type SigningResult } from './signing/index.ts';

/**
 * A stand-alone page for the signing module (tests and manual trials), until the app's own
 * screens mount it. Parameters from the query string; the person's client assertion, when the
 * embedding context provides one, from `window.afAuthorize` (the tests expose it), else the
 * session cookie.
 */
declare global {
  interface Window {
    afAuthorize?: (method: string, path: string) => Promise<string>;
    afResult?: SigningResult;
  }
}

const q = new URLSearchParams(location.search);
const main = document.getElementById('main')!;
const modalities = q.get('modalities')?.split(',').filter(Boolean) as Modality[] | undefined;
const challengeId = q.get('challenge');
const actionId = q.get('action');
const credentialId = q.get('credential');
const durationMs = Number(q.get('duration') ?? '') || undefined;
mountSigning(main, {
  personId: q.get('person') ?? '',
  mode: q.get('mode') === 'calibrate' ? 'calibrate' : 'sign',
  ...(challengeId ? { challengeId } : {}),
  ...(actionId ? { actionId } : {}),
  ...(credentialId ? { credentialId } : {}),
  ...(modalities ? { modalities } : {}),
  ...(durationMs ? { durationMs } : {}),
  ...(window.afAuthorize ? { authorize: window.afAuthorize } : {}),
  onDone(r) {
    window.afResult = r;
  },
});
