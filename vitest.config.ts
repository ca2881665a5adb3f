import { defineConfig } from 'vitest/config';

// The cluster's HIGH and CRITICAL tests run live sessions too (three at once, beside three replicas,
// HAProxy, hsm-sim, PostgreSQL and Redis): run 2 of a loop failed one of them as refused while other
// process-spawning files competed for the two cores.
const REALTIME = ['test/signature/high-flow.test.ts', 'test/signature/critical-flow.test.ts', 'test/signature/reference-attacks.test.ts', 'test/cluster/cluster.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but keep it bounded so process-spawning suites do not starve.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/app/**', ...REALTIME] } },
      // Live signing sessions whose assertions depend on the stream's timing (30 s of samples answering
      // prompts as they are revealed): alone after the node suite, as the browser tests are, so a CPU
      // busy with other files does not turn a re-assembled recording into a merely mistimed one.
      { extends: true, test: { name: 'realtime', include: REALTIME, fileParallelism: false, sequence: { groupOrder: 1 } } },
      // The real-browser tests run after the rest, one file at a time: their sensor readings come
      // through CDP in real time, and a CPU shared with the heavy gateway suites makes that stream
      // irregular enough for the gateway to call it a splice (which it should).
      { extends: true, test: { name: 'browser', include: ['test/app/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
