import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failedStart } from '../helpers/gateway-process.ts';
import { ROOT } from '../helpers/harness.ts';

/**
 * A damaged Web Push key file (APP_PUSH_VAPID_FILE, shared by replicas) stops start-up with a clear
 * error naming the setting and the file, and never quotes the file: it holds a private key.
 */
const dir = mkdtempSync(join(tmpdir(), 'af-vapid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('APP_PUSH_VAPID_FILE at start-up', () => {
  const secret = 'zAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_secret';
  it.each([
    ['not JSON', `{"publicKey": "x", "privateKey": "${secret}"`, /is not JSON/],
    ['no private key', JSON.stringify({ publicKey: 'B'.repeat(87), privateKey: `${secret}!` }), /has no valid 'privateKey'/],
    ['no public key', JSON.stringify({ privateKey: secret }), /has no valid 'publicKey'/],
  ])('%s: refused naming the setting and the file, without its contents', async (name, text, why) => {
    const file = join(dir, `${name.replace(/ /g, '-')}.json`);
    writeFileSync(file, text, { mode: 0o600 });
    const { code, out } = await failedStart({ PORT: '0', DATA_DIR: join(dir, `data-${name.replace(/ /g, '-')}`), POLICY_FILE: join(ROOT, 'examples/policy.yaml'), APP_PUSH_VAPID_FILE: file });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const errors = out.split('\n').filter((l) => l.startsWith('error '));
    expect(errors, out).toEqual([expect.stringMatching(new RegExp(`^error CONFIG_INVALID: APP_PUSH_VAPID_FILE \\(${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): ${why.source}`))]);
    expect(out).not.toContain(secret.slice(0, 20));
  }, 60_000);
});
