import { describe, expect, it } from 'vitest';
import { reversibilityWithHints } from '../../src/gateway/mcp/tool-calls.ts';

const tool = (annotations?: Record<string, unknown>) => ({ name: 't', inputSchema: { type: 'object' }, ...(annotations === undefined ? {} : { annotations }) });

describe('tool annotations are untrusted hints', () => {
  it('an explicit destructiveHint raises a mapped tool to irreversible (never below HIGH)', () => {
    expect(reversibilityWithHints('fully_reversible', tool({ destructiveHint: true }))).toBe('irreversible');
    expect(reversibilityWithHints('partially_reversible', tool({ destructiveHint: true, readOnlyHint: false }))).toBe('irreversible');
  });
  it('no hint lowers what the policy says', () => {
    expect(reversibilityWithHints('irreversible', tool({ readOnlyHint: true }))).toBe('irreversible');
    expect(reversibilityWithHints('irreversible', tool({ destructiveHint: false }))).toBe('irreversible');
    expect(reversibilityWithHints('partially_reversible', tool())).toBe('partially_reversible');
    // readOnlyHint with destructiveHint is contradictory: the policy's own answer stands.
    expect(reversibilityWithHints('fully_reversible', tool({ readOnlyHint: true, destructiveHint: true }))).toBe('fully_reversible');
  });
});
