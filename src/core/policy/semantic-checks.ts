import { isFirewallError } from '../errors.ts';
import { tierRank } from '../tier.ts';
import { TOOL_NAMESPACE_SEPARATOR } from '../mcp/tool-name.ts';
import { formatDuration, MAX_DURATION_MS, parseDuration } from './duration.ts';
import { parseFieldExpression } from './field-expression.ts';
import type { FieldPath } from './json-schema.ts';
import { amountInterval, intervalEmpty, mayCoMatch } from './overlap.ts';
import { isIsoCurrency } from '../action/currency.ts';
import { compilePathPattern } from './path-pattern.ts';
import type { RawAmountMatch, RawPolicy, RawQuorum, RawSignature } from './schema.ts';
import type { PolicyDocument, SignatureSpec } from './types.ts';

/**
 * What JSON Schema cannot say: cross-references, impossible combinations and requirements placed
 * on a tier that never uses them. Runs after the schema passed, on both the raw form (for paths
 * that point into the file) and the normalised form (for meaning).
 */
export interface SemanticIssue {
  path: FieldPath;
  atKey?: boolean;
  message: string;
}

export interface SemanticResult {
  errors: SemanticIssue[];
  warnings: SemanticIssue[];
}

export function checkPolicySemantics(raw: RawPolicy, doc: PolicyDocument): SemanticResult {
  const errors: SemanticIssue[] = [];
  const warnings: SemanticIssue[] = [];
  const err = (path: FieldPath, message: string): void => void errors.push({ path, message });
  const warn = (path: FieldPath, message: string): void => void warnings.push({ path, message });

  const groups = doc.groups;
  const people = new Set(Object.values(groups).flat());
  const orgOf = checkOrganisations(raw, err);

  checkDurations(raw, err);
  checkActuators(raw, err);
  checkMcpServers(raw, err);

  for (const [i, v] of (raw.notify?.vetoers ?? []).entries()) {
    if (!people.has(v)) err(['notify', 'vetoers', i], `vetoer '${v}' is not a member of any group; people are declared under groups:`);
  }

  const d = raw.defaults ?? {};
  if (d.signature !== undefined) checkSignatureShape(doc.defaults.signature, ['defaults', 'signature'], err);
  if (d.quorum !== undefined) checkQuorum(d.quorum, ['defaults', 'quorum'], groups, orgOf, err, warn);
  if (doc.defaults.unmatchedTier === 'CRITICAL' && d.quorum === undefined) {
    err(['defaults', 'unmatched_tier'], 'unmatched_tier CRITICAL needs defaults.quorum: an unmatched action has no rule to take a quorum from');
  }

  // --- rules ---
  const firstRuleIndex = new Map<string, number>();
  for (const [i, r] of (raw.rules ?? []).entries()) {
    const base: FieldPath = ['rules', i];
    const norm = doc.rules[i];
    if (norm === undefined) continue;
    const prev = firstRuleIndex.get(r.id);
    if (prev !== undefined) err([...base, 'id'], `duplicate rule id '${r.id}' (first used by rules[${prev}])`);
    else firstRuleIndex.set(r.id, i);

    checkMatchReferences(raw, r.match.actuator, r.match.operation, [...base, 'match'], err);
    if (r.match.amount !== undefined) checkAmount(r.match.amount, [...base, 'match', 'amount'], err);
    if (r.match.path !== undefined) checkPattern(r.match.path, [...base, 'match', 'path'], err);

    const tier = r.tier;
    if (r.cooling !== undefined && tier !== 'MEDIUM') {
      err([...base, 'cooling'], `cooling applies only to MEDIUM rules; this rule is ${tier}${tier === 'LOW' ? ' (LOW actions execute at once)' : ' (it waits for a biological signature instead)'}`);
    }
    if (r.signature !== undefined && tierRank(tier) < tierRank('HIGH')) {
      err([...base, 'signature'], `signature applies only to HIGH and CRITICAL rules; this rule is ${tier}`);
    }
    if (r.quorum !== undefined && tier !== 'CRITICAL') {
      err([...base, 'quorum'], `quorum applies only to CRITICAL rules; this rule is ${tier}`);
    }
    if (tier === 'CRITICAL' && r.quorum === undefined && d.quorum === undefined) {
      err([...base, 'tier'], `rule '${r.id}' is CRITICAL but has no quorum and the policy has no defaults.quorum`);
    }
    if (r.quorum !== undefined) checkQuorum(r.quorum, [...base, 'quorum'], groups, orgOf, err, warn);
    if (r.quorum !== undefined && d.quorum !== undefined && (r.quorum.distinct_organisations === true) !== (d.quorum.distinct_organisations === true)) {
      // The two quorums combine, and distinct_organisations from either applies to the signers of both.
      const all = [...r.quorum.all_of, ...d.quorum.all_of].flatMap((c) => groups[c.group] ?? []);
      const missing = [...new Set(all)].filter((m) => !orgOf.has(m)).sort();
      if (missing.length > 0) {
        err([...base, 'quorum'], `combined with defaults.quorum, distinct_organisations applies to this rule's signers, but ${missing.join(', ')} belong to no organisation`);
      }
    }
    if (r.signature !== undefined) {
      const eff = mergedSignature(doc.defaults.signature, norm.signature ?? {});
      checkSignatureShape(eff, [...base, 'signature'], err);
      if (eff.modalities.length === 0) {
        err([...base, 'signature', 'modalities'], `shares no modality with defaults.signature.modalities (${doc.defaults.signature.modalities.join(', ')}); a rule can only narrow the defaults`);
      }
    }

    const m = norm.match;
    if (tier === 'LOW' && m.reversibility !== undefined && m.reversibility.every((x) => x === 'irreversible')) {
      warn([...base, 'tier'], `rule '${r.id}' is LOW but matches only irreversible actions, which are never below HIGH`);
    }
    if (tier === 'LOW' && Object.keys(m).length === 0) {
      warn([...base, 'match'], `rule '${r.id}' matches every action at LOW: everything not irreversible runs at digital speed`);
    }
  }
  checkModalityConflicts(doc, err);

  // --- velocity ---
  const firstVelocityIndex = new Map<string, number>();
  for (const [i, v] of (raw.velocity ?? []).entries()) {
    const base: FieldPath = ['velocity', i];
    const prev = firstVelocityIndex.get(v.id);
    if (prev !== undefined) err([...base, 'id'], `duplicate velocity rule id '${v.id}' (first used by velocity[${prev}])`);
    else firstVelocityIndex.set(v.id, i);
    checkMatchReferences(raw, v.match.actuator, v.match.operation, [...base, 'match'], err);
    for (const code of Object.keys(v.max_amount ?? {})) {
      if (!isIsoCurrency(code)) err([...base, 'max_amount', code], `'${code}' is not an ISO 4217 currency code: actions in it are refused, so the limit could never apply`);
    }
    if (v.max_amount === undefined && v.max_count === undefined) {
      err(base, `velocity rule '${v.id}' needs max_amount, max_count or both`);
    }
    if (v.escalate_to === 'CRITICAL' && d.quorum === undefined) {
      err([...base, 'escalate_to'], 'escalating to CRITICAL needs defaults.quorum: the escalated action may match no CRITICAL rule to take a quorum from');
    }
  }
  return { errors, warnings };
}

function mergedSignature(base: SignatureSpec, rule: Partial<SignatureSpec>): SignatureSpec {
  return {
    windowMs: Math.max(base.windowMs, rule.windowMs ?? 0),
    sustainedMs: Math.max(base.sustainedMs, rule.sustainedMs ?? 0),
    modalities: rule.modalities === undefined ? base.modalities : base.modalities.filter((m) => rule.modalities?.includes(m)),
    maxAttempts: Math.min(base.maxAttempts, rule.maxAttempts ?? Infinity),
    ...(base.roles === undefined && rule.roles === undefined ? {} : { roles: rule.roles ?? base.roles! }),
  };
}

function checkSignatureShape(sig: SignatureSpec, base: FieldPath, err: (p: FieldPath, m: string) => void): void {
  if (sig.sustainedMs > sig.windowMs) {
    err([...base, 'sustained'], `sustained ${formatDuration(sig.sustainedMs)} is longer than the signature window ${formatDuration(sig.windowMs)} it has to fit in`);
  }
}

function checkDurations(raw: RawPolicy, err: (p: FieldPath, m: string) => void): void {
  const check = (text: string | undefined, path: FieldPath): void => {
    if (text === undefined) return;
    if (parseDuration(text) > MAX_DURATION_MS) err(path, `duration '${text}' is longer than the maximum of 366d`);
  };
  const sig = (s: RawSignature | undefined, path: FieldPath): void => {
    check(s?.window, [...path, 'window']);
    check(s?.sustained, [...path, 'sustained']);
  };
  const quo = (q: RawQuorum | undefined, path: FieldPath): void => check(q?.window, [...path, 'window']);
  check(raw.defaults?.cooling, ['defaults', 'cooling']);
  sig(raw.defaults?.signature, ['defaults', 'signature']);
  quo(raw.defaults?.quorum, ['defaults', 'quorum']);
  for (const [i, r] of (raw.rules ?? []).entries()) {
    check(r.cooling, ['rules', i, 'cooling']);
    sig(r.signature, ['rules', i, 'signature']);
    quo(r.quorum, ['rules', i, 'quorum']);
  }
  for (const [i, v] of (raw.velocity ?? []).entries()) check(v.window, ['velocity', i, 'window']);
}

function checkOrganisations(raw: RawPolicy, err: (p: FieldPath, m: string) => void): Map<string, string> {
  const orgOf = new Map<string, string>();
  for (const [org, members] of Object.entries(raw.organisations ?? {})) {
    for (const [i, p] of members.entries()) {
      const other = orgOf.get(p);
      if (other !== undefined && other !== org) err(['organisations', org, i], `'${p}' already belongs to organisation '${other}'; a person belongs to one organisation`);
      else orgOf.set(p, org);
    }
  }
  return orgOf;
}

function checkActuators(raw: RawPolicy, err: (p: FieldPath, m: string) => void): void {
  for (const [name, a] of Object.entries(raw.actuators)) {
    try {
      const u = new URL(a.upstream);
      if (u.username !== '' || u.password !== '') err(['actuators', name, 'upstream'], 'upstream must not carry credentials; the policy file is not a secret store');
      if (u.search !== '' || u.hash !== '') err(['actuators', name, 'upstream'], 'upstream must not carry a query or fragment: requests go to its origin and path prefix');
    } catch {
      err(['actuators', name, 'upstream'], `'${a.upstream}' is not a valid URL`);
    }
    const seen = new Map<string, number>();
    for (const [i, r] of (a.proxy ?? []).entries()) {
      const base: FieldPath = ['actuators', name, 'proxy', i];
      let params: string[] = [];
      try {
        params = compilePathPattern(r.path).params;
        const key = `${r.method} ${r.path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':')}`;
        const prev = seen.get(key);
        if (prev !== undefined) err([...base, 'path'], `${r.method} ${r.path} repeats proxy[${prev}]; only the first can ever match`);
        else seen.set(key, i);
      } catch (e) {
        err([...base, 'path'], isFirewallError(e) ? e.message : String(e));
      }
      if ((r.amount === undefined) !== (r.currency === undefined)) {
        err(r.amount === undefined ? [...base, 'currency'] : [...base, 'amount'], 'amount and currency go together: give both or neither');
      }
      const exprs: [string, string | number | boolean | undefined][] = [
        ['target', r.target],
        ['amount', r.amount],
        ['currency', r.currency],
        ...Object.entries(r.parameters ?? {}).map(([k, v]) => [`parameters.${k}`, v] as [string, string | number | boolean]),
      ];
      for (const [field, src] of exprs) {
        if (src === undefined) continue;
        const path: FieldPath = field.startsWith('parameters.') ? [...base, 'parameters', field.slice(11)] : [...base, field];
        try {
          const e = parseFieldExpression(src);
          if (e.kind === 'params' && !params.includes(e.name)) err(path, `route '${r.path}' has no parameter ':${e.name}'`);
          if (field === 'amount' && e.kind === 'literal' && !(typeof e.value === 'number' || /^\d+(\.\d+)?$/.test(String(e.value)))) {
            err(path, `'${String(src)}' is neither a field expression nor a number`);
          }
        } catch (e) {
          err(path, isFirewallError(e) ? e.message : String(e));
        }
      }
    }
  }
}

function checkMcpServers(raw: RawPolicy, err: (p: FieldPath, m: string) => void): void {
  for (const [name, m] of Object.entries(raw.mcp_servers ?? {})) {
    const base: FieldPath = ['mcp_servers', name];
    if (Object.hasOwn(raw.actuators, name)) err(base, `'${name}' is already an actuator; an MCP server and an HTTP actuator need different names`);
    if (name.includes(TOOL_NAMESPACE_SEPARATOR)) err(base, `an MCP server id must not contain '${TOOL_NAMESPACE_SEPARATOR}' (agents see its tools as ${name}${TOOL_NAMESPACE_SEPARATOR}<tool>)`);
    try {
      const u = new URL(m.url);
      if (u.username !== '' || u.password !== '') err([...base, 'url'], 'the URL must not carry credentials; use auth.bearer_env');
    } catch {
      err([...base, 'url'], `'${m.url}' is not a valid URL`);
    }
    const seen = new Map<string, number>();
    for (const [i, t] of (m.tools ?? []).entries()) {
      const at: FieldPath = [...base, 'tools', i];
      const prev = seen.get(t.name);
      if (prev !== undefined) err([...at, 'name'], `tool '${t.name}' repeats tools[${prev}]`);
      else seen.set(t.name, i);
      if ((t.amount === undefined) !== (t.currency === undefined)) {
        err(t.amount === undefined ? [...at, 'currency'] : [...at, 'amount'], 'amount and currency go together: give both or neither');
      }
      const exprs: [FieldPath, string | number | boolean | undefined][] = [
        [[...at, 'target'], t.target],
        [[...at, 'amount'], t.amount],
        [[...at, 'currency'], t.currency],
        ...Object.entries(t.parameters ?? {}).map(([k, v]) => [[...at, 'parameters', k], v] as [FieldPath, string | number | boolean]),
      ];
      for (const [path, src] of exprs) {
        if (typeof src !== 'string' || src.startsWith('=')) continue;
        if (/^(body|params|query)(\.|$)/.test(src)) err(path, `'${src}': a tool's fields are read from its arguments, written 'arguments.<name>'`);
        else if (src === 'arguments' || src.startsWith('arguments.')) {
          try {
            parseFieldExpression(src === 'arguments' ? 'body' : `body.${src.slice('arguments.'.length)}`);
          } catch (e) {
            err(path, isFirewallError(e) ? e.message.replace('body', 'arguments') : String(e));
          }
        }
      }
    }
  }
}

function checkMatchReferences(raw: RawPolicy, actuator: string | undefined, operation: string | string[] | undefined, base: FieldPath, err: (p: FieldPath, m: string) => void): void {
  if (actuator === undefined) return;
  // An MCP server's operations are its tools, mapped or not: the policy cannot know them all.
  if (raw.mcp_servers !== undefined && Object.hasOwn(raw.mcp_servers, actuator)) return;
  const a = raw.actuators[actuator];
  if (a === undefined || !Object.hasOwn(raw.actuators, actuator)) {
    const declared = [...Object.keys(raw.actuators), ...Object.keys(raw.mcp_servers ?? {})];
    err([...base, 'actuator'], `unknown actuator '${actuator}' (declared: ${declared.join(', ')})`);
    return;
  }
  const known = new Set([...(a.operations ?? []), ...(a.proxy ?? []).map((r) => r.operation)]);
  if (known.size === 0 || operation === undefined) return;
  const ops = Array.isArray(operation) ? operation : [operation];
  ops.forEach((op, i) => {
    if (!known.has(op)) {
      const path: FieldPath = Array.isArray(operation) ? [...base, 'operation', i] : [...base, 'operation'];
      err(path, `actuator '${actuator}' has no operation '${op}' (known: ${[...known].sort().join(', ')}); declare it under actuators.${actuator}.operations if agents submit it directly`);
    }
  });
}

function checkAmount(a: RawAmountMatch, base: FieldPath, err: (p: FieldPath, m: string) => void): void {
  if (a.currency === undefined) err(base, 'amount match needs a currency: amounts in different currencies are not comparable');
  else if (!isIsoCurrency(a.currency)) err([...base, 'currency'], `'${a.currency}' is not an ISO 4217 currency code: actions in it are refused, so the rule could never match`);
  if (a.gt === undefined && a.gte === undefined && a.lt === undefined && a.lte === undefined) {
    err(base, 'amount match needs at least one bound (gt, gte, lt, lte)');
    return;
  }
  if (a.gt !== undefined && a.gte !== undefined) err([...base, 'gte'], 'give gt or gte, not both');
  if (a.lt !== undefined && a.lte !== undefined) err([...base, 'lte'], 'give lt or lte, not both');
  const norm = { ...a, currency: a.currency ?? '' };
  if (intervalEmpty(amountInterval(norm))) {
    const lower = a.gt !== undefined ? `gt ${a.gt}` : `gte ${a.gte}`;
    const upper = a.lt !== undefined ? `lt ${a.lt}` : `lte ${a.lte}`;
    err(base, `no amount satisfies ${lower} and ${upper}: the rule can never match`);
  }
}

function checkPattern(pattern: string, path: FieldPath, err: (p: FieldPath, m: string) => void): void {
  try {
    compilePathPattern(pattern);
  } catch (e) {
    err(path, isFirewallError(e) ? e.message : String(e));
  }
}

function checkQuorum(
  q: RawQuorum,
  base: FieldPath,
  groups: Record<string, string[]>,
  orgOf: Map<string, string>,
  err: (p: FieldPath, m: string) => void,
  warn: (p: FieldPath, m: string) => void,
): void {
  const used = new Map<string, number>();
  const signers = new Set<string>();
  let needed = 0;
  for (const [k, c] of q.all_of.entries()) {
    const members = groups[c.group];
    if (!Object.hasOwn(groups, c.group) || members === undefined) {
      err([...base, 'all_of', k, 'group'], `unknown group '${c.group}' (declared: ${Object.keys(groups).join(', ') || 'none'})`);
      continue;
    }
    const prev = used.get(c.group);
    if (prev !== undefined) err([...base, 'all_of', k, 'group'], `group '${c.group}' already appears in all_of[${prev}]; put one clause per group with the larger min`);
    used.set(c.group, k);
    if (c.min > members.length) err([...base, 'all_of', k, 'min'], `min ${c.min} is larger than group '${c.group}', which has ${members.length} member(s)`);
    needed += c.min;
    for (const m of members) signers.add(m);
    if (q.distinct_organisations === true) {
      const missing = members.filter((m) => !orgOf.has(m));
      if (missing.length > 0) err([...base, 'distinct_organisations'], `needs every signer's organisation, but ${missing.join(', ')} (group '${c.group}') belong to none; declare them under organisations:`);
    }
  }
  if (used.size === q.all_of.length && needed > signers.size) {
    err([...base, 'all_of'], `needs ${needed} distinct signers but the groups named hold only ${signers.size} people`);
  }
  if (q.distinct_organisations === true) {
    const orgs = new Set([...signers].map((m) => orgOf.get(m)).filter((o) => o !== undefined));
    if (needed > orgs.size) err([...base, 'distinct_organisations'], `needs ${needed} signers from distinct organisations but the groups span only ${orgs.size}`);
  }
  const comp = groups[q.comparator.group];
  if (!Object.hasOwn(groups, q.comparator.group) || comp === undefined) {
    err([...base, 'comparator', 'group'], `unknown group '${q.comparator.group}' (declared: ${Object.keys(groups).join(', ') || 'none'})`);
  } else {
    const min = q.comparator.min ?? 1;
    if (min > comp.length) err([...base, 'comparator', 'min'], `min ${min} is larger than group '${q.comparator.group}', which has ${comp.length} member(s)`);
    const overlap = comp.filter((m) => signers.has(m));
    if (overlap.length > 0) {
      warn([...base, 'comparator', 'group'], `comparator group '${q.comparator.group}' shares ${overlap.join(', ')} with the signing groups; a comparator should be independent of the signers`);
    }
  }
}

/**
 * Requirements of co-matching rules at one tier combine by intersecting accepted modalities. Two
 * rules that can match the same action but accept no common modality would demand a signature
 * nobody can give: refuse the policy now rather than block the action later.
 */
function checkModalityConflicts(doc: PolicyDocument, err: (p: FieldPath, m: string) => void): void {
  const withModalities = doc.rules
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.signature?.modalities !== undefined && (r.tier === 'HIGH' || r.tier === 'CRITICAL'));
  for (let x = 0; x < withModalities.length; x++) {
    for (let y = x + 1; y < withModalities.length; y++) {
      const a = withModalities[x] as (typeof withModalities)[number];
      const b = withModalities[y] as (typeof withModalities)[number];
      if (a.r.tier !== b.r.tier) continue;
      const am = a.r.signature?.modalities ?? [];
      const bm = b.r.signature?.modalities ?? [];
      if (am.some((m) => bm.includes(m))) continue;
      if (!mayCoMatch(a.r.match, b.r.match)) continue;
      err(['rules', b.i, 'signature', 'modalities'], `rule '${b.r.id}' and rule '${a.r.id}' can match the same action at ${a.r.tier} but accept no common modality (${bm.join(', ')} vs ${am.join(', ')})`);
    }
  }
}
