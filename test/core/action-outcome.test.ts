import { describe, expect, it } from 'vitest';
import { outcomeOfAnswer } from '../../src/core/action/outcome.ts';
import { nextStatus } from '../../src/core/action/state-machine.ts';
import { isSettled } from '../../src/core/action/status.ts';

describe('what an answer proves (docs/api.md §Outcomes)', () => {
  it('success executes; only a definite 4xx refuses; 408/425/429/503 were not processed; 409 and other 5xx are unknown', () => {
    for (const s of [200, 201, 204, 302, 304]) expect(outcomeOfAnswer(s), String(s)).toBe('executed');
    for (const s of [400, 401, 403, 404, 405, 410, 413, 415, 422, 451]) expect(outcomeOfAnswer(s), String(s)).toBe('refused');
    for (const s of [408, 425, 429, 503]) expect(outcomeOfAnswer(s), String(s)).toBe('not_processed');
    for (const s of [409, 500, 501, 502, 504, 599, 100]) expect(outcomeOfAnswer(s), String(s)).toBe('unknown');
  });
});

describe('the state machine with unknown outcomes', () => {
  it('an unknown outcome is left by an answer or a reconciliation, never by the gateway calling it failed', () => {
    expect(nextStatus('executing', 'upstream_unknown')).toBe('outcome_unknown');
    expect(nextStatus('outcome_unknown', 'upstream_answered')).toBe('executed');
    expect(nextStatus('outcome_unknown', 'reconcile_executed')).toBe('executed');
    expect(nextStatus('outcome_unknown', 'reconcile_failed')).toBe('failed');
    expect(() => nextStatus('outcome_unknown', 'upstream_failed')).toThrow(expect.objectContaining({ code: 'ACTION_TRANSITION_INVALID' }));
    expect(() => nextStatus('executing', 'reconcile_failed')).toThrow(expect.objectContaining({ code: 'ACTION_TRANSITION_INVALID' }));
    expect(() => nextStatus('failed', 'reconcile_executed')).toThrow(expect.objectContaining({ code: 'ACTION_TRANSITION_INVALID' }));
  });

  it('outcome_unknown is settled only once no resend is scheduled', () => {
    expect(isSettled({ status: 'outcome_unknown', dueAt: 123 })).toBe(false);
    expect(isSettled({ status: 'outcome_unknown', dueAt: null })).toBe(true);
    expect(isSettled({ status: 'executing', dueAt: null })).toBe(false);
    expect(isSettled({ status: 'failed', dueAt: null })).toBe(true);
  });
});
