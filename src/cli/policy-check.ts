import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPolicyFile } from '../adapters/policy-file.ts';
import type { ActionDescriptor } from '../core/action/descriptor.ts';
import type { BranchCard } from '../core/branch-card/branch-card.ts';
import { validateBranchCard } from '../core/branch-card/validate.ts';
import { FirewallError, isFirewallError } from '../core/errors.ts';
import { classify } from '../core/policy/classify.ts';
import { formatDuration } from '../core/policy/duration.ts';
import { sampleActions, type SampleAction } from '../core/policy/samples.ts';
import type { Classification, Policy, PolicyIssue } from '../core/policy/types.ts';
import { velocityQueries } from '../core/policy/velocity.ts';

const USAGE = `usage: policy:check FILE [--sample SAMPLES.json] [--json]

Validates a policy file. On errors prints one line per problem, FILE:LINE:COLUMN FIELD MESSAGE,
and exits 1. Otherwise prints the policy hash and how sample actions classify, and exits 0.

  --sample FILE  JSON array of action descriptors (or of { descriptor, branchCard }) to classify;
                 without it, one sample per rule is derived from the policy itself
  --json         print the classifications as JSON instead of text`;

interface Args {
  file: string;
  sample?: string;
  json: boolean;
}

function parseArgs(argv: string[]): Args | string {
  let file: string | undefined;
  let sample: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return USAGE;
    if (a === '--json') json = true;
    else if (a === '--sample') {
      sample = argv[++i];
      if (sample === undefined) return '--sample needs a file name';
    } else if (a.startsWith('--sample=')) sample = a.slice('--sample='.length);
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (file === undefined) file = a;
    else return `unexpected argument ${a}`;
  }
  if (file === undefined) return 'missing policy FILE';
  return sample === undefined ? { file, json } : { file, sample, json };
}

export function formatIssue(i: PolicyIssue): string {
  return `${i.file}:${i.line}:${i.column} ${i.field} ${i.message}`;
}

/** Sample files may leave out what classification does not read; fill it so they stay short. */
function completeDescriptor(v: unknown, index: number): ActionDescriptor {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new FirewallError('SAMPLE_INVALID', `sample [${index}] must be an object`, { status: 400 });
  }
  const d = v as Partial<ActionDescriptor>;
  return {
    parameters: {},
    target: '',
    ...d,
    request: d.request ?? { method: 'POST', path: '/', bodySha256: '' },
  } as ActionDescriptor;
}

async function readSamples(file: string): Promise<{ label: string; descriptor: ActionDescriptor; branchCard?: BranchCard }[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FirewallError('SAMPLE_INVALID', `cannot read samples from ${file}: ${e instanceof Error ? e.message : String(e)}`, { status: 400 });
  }
  if (!Array.isArray(parsed)) throw new FirewallError('SAMPLE_INVALID', `${file} must hold a JSON array of descriptors`, { status: 400 });
  return parsed.map((entry: unknown, i) => {
    const wrapped = entry !== null && typeof entry === 'object' && 'descriptor' in entry;
    const e = entry as { descriptor?: unknown; branchCard?: unknown };
    const descriptor = completeDescriptor(wrapped ? e.descriptor : entry, i);
    const label = `${file}[${i}]`;
    if (wrapped && e.branchCard !== undefined) return { label, descriptor, branchCard: validateBranchCard(e.branchCard) };
    return { label, descriptor };
  });
}

function describeAction(d: ActionDescriptor): string {
  const amount = d.amount !== undefined ? ` ${d.amount} ${d.currency ?? ''}` : '';
  return `${d.agent} → ${d.actuator}/${d.operation}${d.target ? ` ${d.target}` : ''}${amount} (${d.reversibility})`;
}

function describeRequirements(c: Classification): string[] {
  const r = c.requirements;
  const out: string[] = [];
  if (r.coolingMs !== undefined) out.push(`cooling ${formatDuration(r.coolingMs)} (vetoable)`);
  if (r.signature !== undefined) {
    const s = r.signature;
    const roles = s.roles;
    const which = roles === undefined
      ? `one of [${s.modalities.join(', ')}]`
      : `${roles.minPrimary} primary of [${s.modalities.filter((m) => roles.primary.includes(m)).join(', ')}] captured together, supporting [${s.modalities.filter((m) => !roles.primary.includes(m)).join(', ')}]; with fewer primaries: ${roles.onePrimary.join(', then ') || 'no signature'}`;
    out.push(`signature: ${formatDuration(s.sustainedMs)} sustained within ${formatDuration(s.windowMs)}, ${which}, ${s.maxAttempts} attempt(s)`);
  }
  if (r.quorum !== undefined) {
    const q = r.quorum;
    const clauses = q.allOf.map((c) => `${c.min} of ${c.group} [${c.members.join(', ')}]`).join(' AND ');
    const comps = q.comparators.map((c) => `${c.min} of ${c.group}${c.biological ? ' (biological)' : ''}`).join(', ');
    out.push(`quorum: ${clauses} within ${formatDuration(q.windowMs)}${q.distinctOrganisations ? ', distinct organisations' : ''}; comparator ${comps}`);
  }
  return out;
}

function printClassification(out: (s: string) => void, label: string, d: ActionDescriptor, c: Classification, policy: Policy): void {
  out('');
  out(`${label}: ${describeAction(d)}`);
  const verdict = c.decision === 'BLOCK' ? 'BLOCK' : c.tier;
  out(`  → ${verdict} (decided by ${c.decidingRule}; matched: ${c.matchedRules.join(', ') || 'none'})`);
  for (const r of c.reasons) out(`    - ${r}`);
  for (const r of describeRequirements(c)) out(`    requires ${r}`);
  const velocity = velocityQueries(policy, d, 0);
  if (velocity.length > 0) out(`    counted by velocity rule(s): ${velocity.map((q) => q.ruleId).join(', ')} (shown with no earlier actions)`);
}

export async function policyCheck(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    out(args === USAGE ? USAGE : `${args}\n\n${USAGE}`);
    return args === USAGE ? 0 : 2;
  }
  let policy: Policy;
  try {
    policy = await loadPolicyFile(args.file);
  } catch (e) {
    if (isFirewallError(e, 'POLICY_INVALID')) {
      const errors = (e.detail?.errors ?? []) as PolicyIssue[];
      for (const i of errors) out(formatIssue(i));
      out(`${args.file}: ${errors.length} error(s); policy NOT loaded`);
      return 1;
    }
    out(e instanceof Error ? e.message : String(e));
    return 1;
  }

  let samples: { label: string; descriptor: ActionDescriptor; branchCard?: BranchCard }[];
  try {
    samples = args.sample !== undefined ? await readSamples(args.sample) : sampleActions(policy).map((s: SampleAction) => ({ label: s.label, descriptor: s.descriptor }));
  } catch (e) {
    out(e instanceof Error ? e.message : String(e));
    return 1;
  }

  const results: { label: string; descriptor: ActionDescriptor; classification?: Classification; error?: string }[] = [];
  for (const s of samples) {
    // Every velocity query answered with "no earlier actions": the check shows the policy, not history.
    const velocity = velocityQueries(policy, s.descriptor, 0).map((q) => ({ ruleId: q.ruleId, count: 0, amount: 0 }));
    try {
      const classification = classify(policy, s.descriptor, s.branchCard === undefined ? { velocity } : { velocity, branchCard: s.branchCard });
      results.push({ label: s.label, descriptor: s.descriptor, classification });
    } catch (e) {
      results.push({ label: s.label, descriptor: s.descriptor, error: e instanceof Error ? e.message : String(e) });
    }
  }

  if (args.json) {
    out(JSON.stringify({ file: args.file, name: policy.name, policyHash: policy.hash, warnings: policy.warnings, samples: results }, null, 2));
  } else {
    out(`${args.file}: policy '${policy.name}' OK`);
    out(`policy hash sha256:${policy.hash}`);
    out(`${policy.rules.length} rule(s), ${policy.velocity.length} velocity rule(s), actuators: ${Object.keys(policy.actuators).join(', ')}; unmatched actions are ${policy.defaults.unmatchedTier}`);
    for (const w of policy.warnings) out(`warning: ${formatIssue(w)}`);
    for (const r of results) {
      if (r.classification !== undefined) printClassification(out, r.label, r.descriptor, r.classification, policy);
      else out(`\n${r.label}: ${describeAction(r.descriptor)}\n  ! ${r.error}`);
    }
  }
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

// Runnable on its own (`node src/cli/policy-check.ts FILE`) as well as through the main CLI.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await policyCheck(process.argv.slice(2), (s) => console.log(s));
}
