/**
 * The command `start` prints for a second terminal: the shared variables it was started with,
 * quoted so a shell gives the command exactly those values, and never a database password.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withSameEnv } from '../../src/cli/same-env.ts';

/** What a POSIX shell hands `command` for `name` when it runs the printed line. */
const asShellGives = (line: string, name: string): string => execFileSync('sh', ['-c', line.replace(/ printenv$/, ` printenv ${name}`)], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, encoding: 'utf8' }).replace(/\n$/, '');

describe('the invitation command start prints', () => {
  it('carries each shared variable that was set, exactly as given, and nothing else', () => {
    const env = { PORT: '18080', DATA_DIR: "/tmp/it's here/data $HOME `x`", PUBLIC_URL: 'https://firewall.local:8443', POLICY_FILE: 'p.yaml', SECRET_KEY: 'k' };
    const line = withSameEnv(env, 'printenv');
    expect(line.startsWith('PORT=18080 DATA_DIR=')).toBe(true);
    expect(line).not.toContain('POLICY_FILE');
    expect(line).not.toContain('SECRET_KEY');
    for (const name of ['PORT', 'DATA_DIR', 'PUBLIC_URL'] as const) expect(asShellGives(line, name)).toBe(env[name]);
  });

  it('prints nothing before the command on defaults', () => {
    expect(withSameEnv({ PORT: '', HOME: '/root' }, 'npm run cli -- person invite alice')).toBe('npm run cli -- person invite alice');
  });

  it('a DATABASE_URL without a password is printed; one with a password is named, never printed', () => {
    const open = 'postgres://postgres@127.0.0.1:5432/analog_firewall_cluster';
    expect(asShellGives(withSameEnv({ DATABASE_URL: open }, 'printenv'), 'DATABASE_URL')).toBe(open);
    const secret = withSameEnv({ PORT: '8081', DATABASE_URL: 'postgres://app:s3cr3t@db:5432/af' }, 'npm run cli -- person invite alice');
    expect(secret).toBe('PORT=8081 npm run cli -- person invite alice  (with the same DATABASE_URL)');
    expect(withSameEnv({ DATABASE_URL: 'not a url s3cr3t' }, 'x')).not.toContain('s3cr3t');
  });
});
