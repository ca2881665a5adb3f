import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { systemClock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import { openStoreOnly } from '../main/open-store.ts';
import { loadApproverConfig } from '../gateway/approver/config.ts';
import { createInvitation } from '../gateway/approver/invitations.ts';
import { loadConfig } from '../gateway/config.ts';
import { loadSignatureConfig } from '../gateway/signatures/config.ts';
import { parseArgs } from './args.ts';
import { PROJECT_ROOT } from './project-root.ts';

/**
 * `person invite ID [--roles authorizer[,comparator]] [--ttl SECONDS]`: a single-use, expiring
 * enrolment link for the approver app, printed with a QR code to scan with the phone. Works while
 * the gateway runs (the store is SQLite in WAL mode). The token is random from the OS CSPRNG here
 * (the CLI has no HSM session); only its SHA-256 is stored.
 */
export async function runPersonInvite(argv: string[], out: (s: string) => void): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['roles', 'ttl']);
  const person = positional[0];
  if (person === undefined || positional.length > 1) throw new FirewallError('USAGE', 'person invite needs one person id: person invite alice [--roles authorizer] [--ttl SECONDS]', { status: 400 });
  const config = loadConfig(process.env, process.cwd(), PROJECT_ROOT);
  const sig = loadSignatureConfig(process.env, config.publicUrl);
  const app = loadApproverConfig(process.env, sig.origins, sig.rpId);
  const ttlSec = flags['ttl'] === undefined ? app.invitationTtlMs / 1000 : Number(flags['ttl']);
  if (!Number.isInteger(ttlSec) || ttlSec < 60 || ttlSec > 30 * 86_400) throw new FirewallError('USAGE', '--ttl must be a whole number of seconds in 60..2592000', { status: 400 });
  const { store } = await openStoreOnly({ dataDir: config.dataDir, database: config.database });
  try {
    const inv = await createInvitation(
      { store, clock: systemClock, random: async (n) => new Uint8Array(randomBytes(n)), appOrigin: app.appOrigin },
      { person, ...(flags['roles'] === undefined ? {} : { roles: flags['roles'].split(',').map((r) => r.trim()) }), by: 'cli', ttlMs: ttlSec * 1000 },
    );
    out(await QRCode.toString(inv.url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
    out(`Invitation for ${inv.person} (${inv.roles.join(', ')}), single use, valid until ${inv.expiresAt}:\n${inv.url}\n`);
    out('Open it on the phone that will hold the passkey (a secure context: https, or localhost on this machine).\n');
    return 0;
  } finally {
    await store.close();
  }
}
