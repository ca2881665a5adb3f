import { readFileSync } from 'node:fs';
import { FirewallError } from '../core/errors.ts';
import { openStoreOnly } from '../main/open-store.ts';
import { loadConfig } from '../gateway/config.ts';
import { parseArgs } from './args.ts';
import { registerPrincipal } from '../gateway/register-principal.ts';
import { PROJECT_ROOT } from './project-root.ts';

/** Registers a principal's public key in the gateway's store (works while the gateway runs: WAL). */
export async function runPrincipalRegister(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['id', 'roles', 'public-key', 'owner', 'organisation']);
  if (flags['id'] === undefined || flags['roles'] === undefined || flags['public-key'] === undefined) {
    throw new FirewallError('USAGE', 'principal register needs --id, --roles and --public-key', { status: 400 });
  }
  if (flags['roles'].split(',').some((r) => r.trim() === 'agent') && flags['owner'] === undefined) {
    // Velocity windows per owner and organisation add up all of an owner's agents: an agent without
    // an owner would count alone, and one more agent would be one more budget.
    throw new FirewallError('USAGE', 'an agent needs --owner PERSON (and --organisation ORG when it acts for one): velocity limits per owner count all their agents together', { status: 400 });
  }
  const config = loadConfig(process.env, process.cwd(), PROJECT_ROOT);
  const { store } = await openStoreOnly({ dataDir: config.dataDir, database: config.database });
  try {
    const jwk = JSON.parse(readFileSync(flags['public-key'], 'utf8')) as JsonWebKey;
    const p = await registerPrincipal(
      store,
      {
        id: flags['id'],
        roles: flags['roles'].split(',').map((r) => r.trim()),
        publicJwk: jwk,
        ...(flags['owner'] === undefined ? {} : { owner: flags['owner'] }),
        ...(flags['organisation'] === undefined ? {} : { organisation: flags['organisation'] }),
      },
      Date.now(),
    );
    process.stdout.write(`registered ${p.id} (${p.roles.join(', ')})\n`);
    return 0;
  } finally {
    await store.close();
  }
}
