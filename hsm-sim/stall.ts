/**
 * Test-only crash injection. With HSM_SIM_TEST_STALL_AT="<reason prefix>:<stage>", the device
 * announces `stall <stage>` on stderr when a commit whose reason starts with the prefix reaches that
 * stage, then blocks forever so the test can SIGKILL it at exactly that point. Unset in production.
 */
import type { CommitProbe, CommitStage } from './store/store.ts';

export function stallProbe(spec: string | undefined): CommitProbe | undefined {
  if (spec === undefined) return undefined;
  const sep = spec.lastIndexOf(':');
  const prefix = spec.slice(0, sep);
  const stage = spec.slice(sep + 1) as CommitStage;
  return (at, reason) => {
    if (at !== stage || !reason.startsWith(prefix)) return;
    process.stderr.write(`stall ${at} ${reason}\n`);
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0);
  };
}
