import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { STDOUT_CLOSED_EXIT_CODE } from '../../src/cli/stdout-closed.ts';
import { ROOT } from '../helpers/harness.ts';

/**
 * A reader that stops early (`… | head -3`) closes the command's stdout before it has written all
 * it had: the command stops without a stack trace, and with 141 (as if SIGPIPE ended it), never 0.
 * Here the reader closes its end before the first write, so every run meets the closed pipe.
 */
function withStdoutClosed(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, err }));
  });
}

describe('a command whose reader stopped reading', () => {
  for (const [name, args] of [
    ['the CLI (policy check)', ['src/cli/main.ts', 'policy', 'check', 'examples/policy.yaml']],
    ['the device simulator (attacks)', ['clients/device/main.ts', 'attacks']],
    ['the regulator verifier (--help)', ['clients/regulator/main.ts', '--help']],
  ] as const) {
    it(`${name}: stops quietly with ${STDOUT_CLOSED_EXIT_CODE}`, async () => {
      const { code, err } = await withStdoutClosed([...args]);
      expect(err).toBe('');
      expect(code).toBe(STDOUT_CLOSED_EXIT_CODE);
    });
  }
});
