import { afterAll, beforeAll } from 'vitest';
import { startHarness, waitFor, type Harness } from './harness.ts';
import { deleteKeys, seedEpoch, SHARED_REDIS_URL, uniquePrefix } from './redis-server.ts';

/**
 * For a test file: two replicas behind the first one's public URL, on one store and the machine's
 * Redis under a key prefix of this run's own, both ready before the tests (a Redis up for a while:
 * see seedEpoch), closed and the keys deleted after. `env` adds to each replica's environment.
 */
export function redisReplicas(name: string, env: Record<string, string> = {}): { a: () => Harness; b: () => Harness } {
  const prefix = uniquePrefix(name);
  let a: Harness | undefined;
  let b: Harness | undefined;
  beforeAll(async () => {
    await seedEpoch(SHARED_REDIS_URL, prefix, Date.now() - 60_000);
    const all = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env };
    a = await startHarness({ env: all });
    b = await startHarness({ env: all, replicaOf: a });
    for (const h of [a, b]) await waitFor(async () => ((await fetch(`${h.url}/readyz`)).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });
  return { a: () => a!, b: () => b! };
}
