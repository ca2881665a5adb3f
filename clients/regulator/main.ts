/**
 * Offline verifier CLI for regulators.
 *
 *   npm run -s regulator -- verify <bundle.json | tile-dir> --root <hsm-root.pem> [--json] [--at <ISO time>]
 *        [--origin <origin>] [--witness <vkey>]... [--quorum <n>]
 *
 * Exit codes: 0 verified; 1 verification failed (the report names every failed check and entry);
 * 2 usage error or unreadable input.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitQuietlyWhenStdoutCloses } from '../../src/cli/stdout-closed.ts';
import { formatReport } from './report.ts';
import { verifyBundle, type VerifyOptions } from './verify-bundle.ts';
import { loadTileDirectory } from './tile-dir.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = `usage: npm run -s regulator -- verify <bundle.json | tile-dir> --root <hsm-root.pem> [--json]
       [--at <ISO-8601 time>] [--origin <origin>] [--witness <vkey>]... [--quorum <n>]`;

export async function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        json: { type: 'boolean', default: false },
        at: { type: 'string' },
        origin: { type: 'string' },
        witness: { type: 'string', multiple: true },
        quorum: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals[0] !== 'verify' || positionals.length !== 2 || !values.root) {
    err(`${USAGE}\n`);
    return EXIT_USAGE;
  }
  const target = positionals[1] as string;
  let rootPem: Buffer;
  try {
    rootPem = readFileSync(values.root);
  } catch (e) {
    err(`cannot read root certificate ${values.root}: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const options: VerifyOptions = { rootPem };
  if (values.at !== undefined) {
    const t = Date.parse(values.at);
    if (Number.isNaN(t)) {
      err(`--at must be an ISO-8601 time\n`);
      return EXIT_USAGE;
    }
    options.at = t;
  }
  if (values.origin !== undefined) options.origin = values.origin;
  if (values.witness) options.witnesses = values.witness;
  if (values.quorum !== undefined) {
    const q = Number(values.quorum);
    if (!Number.isSafeInteger(q) || q < 1) {
      err('--quorum must be a positive integer\n');
      return EXIT_USAGE;
    }
    options.witnessQuorum = q;
  }

  let input: unknown;
  let problems: string[] = [];
  try {
    if (statSync(target).isDirectory()) {
      const loaded = loadTileDirectory(target);
      input = loaded.bundle;
      problems = loaded.problems;
    } else {
      input = readFileSync(target, 'utf8');
    }
  } catch (e) {
    err(`cannot read ${target}: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const report = await verifyBundle(input, options);
  if (problems.length > 0) {
    report.ok = false;
    const fmt = report.checks.find((c) => c.id === 'bundle.format');
    if (fmt) {
      fmt.status = 'fail';
      fmt.errors += problems.length;
    }
    for (const p of problems) report.findings.unshift({ check: 'bundle.format', severity: 'error', message: p });
  }
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}

if (import.meta.main) {
  exitQuietlyWhenStdoutCloses();
  process.exitCode = await run(process.argv.slice(2));
}
