import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FirewallError } from '../../core/errors.ts';
import type { GatewayContext } from '../context.ts';

export interface PrivacyNotice {
  text: string;
  sha256: string;
}

/** docs/privacy.md as the person reads it; its SHA-256 names the exact text they consented to. */
export function loadPrivacyNotice(file: string): PrivacyNotice {
  const text = readFileSync(file, 'utf8');
  return { text, sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

/**
 * Explicit consent to the privacy notice, before any biometric capture (BIPA §15(b) wants a
 * written release before collection; GDPR art. 9(2)(a) explicit consent): a `person.privacy_consent`
 * log entry naming the notice's hash. Consent to another text than the current notice is refused.
 */
export async function recordConsent(ctx: GatewayContext, notice: PrivacyNotice, person: string, body: { noticeSha256?: unknown; consent?: unknown }): Promise<{ logged: true; noticeSha256: string; at: string }> {
  if (body.consent !== true) throw new FirewallError('CONSENT_REQUIRED', 'consent must be given explicitly (consent: true)', { status: 400 });
  if (body.noticeSha256 !== notice.sha256) throw new FirewallError('NOTICE_CHANGED', 'the privacy notice changed since it was shown; read the current one', { status: 409 });
  const now = ctx.clock.now();
  await ctx.store.tx(async (tx) => {
    await tx.audit([{ v: 1, type: 'person.privacy_consent', ts: now, who: person, noticeSha256: notice.sha256 }]);
  });
  return { logged: true, noticeSha256: notice.sha256, at: new Date(now).toISOString() };
}
