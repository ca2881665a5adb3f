import { readFile, stat } from 'node:fs/promises';
import { FirewallError } from '../core/errors.ts';
import { MAX_POLICY_BYTES, parsePolicy } from '../core/policy/parse.ts';
import type { Policy } from '../core/policy/types.ts';

/**
 * The only I/O of the policy engine: read a policy file and hand its text to the pure parser.
 * Errors name the file as given on the command line, so the operator can click through.
 */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_POLICY_BYTES) throw new Error(`larger than ${MAX_POLICY_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FirewallError('POLICY_FILE_UNREADABLE', `cannot read policy file ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      status: 500,
      cause: e,
      detail: { file: path },
    });
  }
  return parsePolicy(text, path);
}
