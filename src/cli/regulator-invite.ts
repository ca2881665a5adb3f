import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { systemClock } from '../core/clock.ts';
import { FirewallError } from '../core/errors.ts';
import { loadApproverConfig } from '../gateway/approver/config.ts';
import { loadConfig } from '../gateway/config.ts';
import { inviteRegulator } from '../gateway/regulator-console/regulator-invitation.ts';
import { loadSignatureConfig } from '../gateway/signatures/config.ts';
import { openStoreOnly } from '../main/open-store.ts';
import { parseArgs } from './args.ts';
import { PROJECT_ROOT } from './project-root.ts';

/**
 * `regulator invite ID [--ttl SECONDS]`: a single-use, expiring link with which a registered
 * regulator creates the passkey of the regulator console (docs/regulator.md §7), printed with a QR
 * code. Works while the gateway runs (SQLite in WAL mode); the token is random from the OS CSPRNG
 * (the CLI has no HSM session) and only its SHA-256 is stored.
 */
export async function runRegulatorInvite(argv: string[], out: (s: string) => void): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['ttl']);
  const person = positional[0];
  if (person === undefined || positional.length > 1) throw new FirewallError('USAGE', 'regulator invite needs one principal id: regulator invite rita [--ttl SECONDS]', { status: 400 });
  const config = loadConfig(process.env, process.cwd(), PROJECT_ROOT);
  const webauthn = loadSignatureConfig(process.env, config.publicUrl);
  const app = loadApproverConfig(process.env, webauthn.origins, webauthn.rpId);
  const ttlSec = flags['ttl'] === undefined ? app.invitationTtlMs / 1000 : Number(flags['ttl']);
  if (!Number.isInteger(ttlSec) || ttlSec < 60 || ttlSec > 30 * 86_400) throw new FirewallError('USAGE', '--ttl must be a whole number of seconds in 60..2592000', { status: 400 });
  const { store } = await openStoreOnly({ dataDir: config.dataDir, database: config.database });
  try {
    const inv = await inviteRegulator({ store, clock: systemClock, random: async (n) => new Uint8Array(randomBytes(n)), appOrigin: app.appOrigin }, { person, by: 'cli', ttlMs: ttlSec * 1000 });
    out(await QRCode.toString(inv.url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
    out(`Regulator console invitation for ${inv.person}, single use, valid until ${inv.expiresAt}:\n${inv.url}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
