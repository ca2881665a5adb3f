/**
 * A reader that stops early (`npm run -s cli -- person invite alice | head -3`) closes our stdout,
 * and the next write fails with EPIPE, an 'error' event nothing handles: Node prints a stack trace
 * and exits 1. A command-line tool stops quietly instead, with the status a shell reports for a
 * tool that SIGPIPE ended (128 + 13): never 0, since the command did not finish, so a verification
 * cut short cannot pass for one that passed under `set -o pipefail`. Other stdout errors still
 * surface. `start` and `cluster` do not install it: a running gateway's stdout is its log.
 */
export const STDOUT_CLOSED_EXIT_CODE = 141;

const closedByReader = (e: unknown): boolean => (e as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE';

export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (closedByReader(e)) process.exit(STDOUT_CLOSED_EXIT_CODE);
    throw e;
  });
  // A command that calls process.exit right after its last write exits before that 'error' event:
  // the failed write is already recorded on the stream, and the status says it.
  process.on('exit', () => {
    if (closedByReader(process.stdout.errored)) process.exitCode = STDOUT_CLOSED_EXIT_CODE;
  });
}
