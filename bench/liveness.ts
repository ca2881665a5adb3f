/**
 * Liveness micro-benchmark: CPU time to verify one 30-second transcript carrying all six modalities
 * (the full verifyLiveness pipeline: per-modality checks, cross-modal checks, fingerprint, duplicate
 * search against 20 stored fingerprints, stream timing). Target: <= 50 ms.
 */
import { createHash } from 'node:crypto';
import { deriveStimulus } from '../src/core/stimulus/stimulus.ts';
import { verifyLiveness } from '../src/core/liveness/verify.ts';
import { makePerson } from '../clients/device/person.ts';
import { simulateSession } from '../clients/device/session.ts';

export function benchLiveness(): Record<string, number> {
  const stimulus = deriveStimulus(createHash('sha256').update('bench/liveness').digest());
  const person = makePerson('bench-person');
  const { streams, arrivals } = simulateSession(stimulus, person, stimulus.modalities, { seed: 'bench/liveness' });
  const history = Array.from({ length: 20 }, (_, i) => {
    const s = deriveStimulus(createHash('sha256').update('bench/history/' + i).digest());
    return verifyLiveness({ stimulus: s, streams: simulateSession(s, person, s.modalities, { seed: 'bench/history/' + i }).streams }).fingerprint;
  });
  const input = { stimulus, streams, arrivals, history };
  for (let i = 0; i < 5; i++) verifyLiveness(input); // warm-up (JIT)
  const runs = 20;
  const cpu0 = process.cpuUsage();
  let accepted = 0;
  for (let i = 0; i < runs; i++) if (verifyLiveness(input).accepted) accepted++;
  const cpu = process.cpuUsage(cpu0);
  return {
    liveness_verify_ms_all_modalities: Math.round(((cpu.user + cpu.system) / 1000 / runs) * 100) / 100,
    liveness_bench_accepted_share: accepted / runs,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchLiveness());
