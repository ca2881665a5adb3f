import { REVERSIBILITY, type Reversibility } from '../action/descriptor.ts';
import { MCP_REQUEST_METHOD, toolCallPath } from '../mcp/tool-call-request.ts';
import { parseDuration } from './duration.ts';
import { MODALITIES, sortModalities, type Modality } from './modality.ts';
import type { OneOrMany, RawMatch, RawPolicy, RawQuorum, RawSignature } from './schema.ts';
import { ONE_PRIMARY_FALLBACKS, type ActuatorSpec, type McpServerSpec, type PartialSignatureSpec, type PolicyDocument, type PolicyRule, type ProxyRoute, type QuorumSpec, type RuleMatch, type SignatureSpec, type VelocityRule } from './types.ts';

/** Built-in defaults, used for whatever `defaults:` leaves out. */
export const BUILTIN_DEFAULTS = {
  unmatchedTier: 'HIGH',
  coolingMs: 10 * 60_000,
  signature: { windowMs: 15 * 60_000, sustainedMs: 30_000, modalities: [...MODALITIES], maxAttempts: 3 },
} as const satisfies { unmatchedTier: 'HIGH'; coolingMs: number; signature: SignatureSpec };

function list<T>(v: OneOrMany<T> | undefined): T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

function sortedUnique(v: string[]): string[] {
  return [...new Set(v)].sort();
}

function sortReversibility(v: Reversibility[]): Reversibility[] {
  return REVERSIBILITY.filter((r) => v.includes(r));
}

function partialSignature(raw: RawSignature): PartialSignatureSpec {
  const out: PartialSignatureSpec = {};
  if (raw.window !== undefined) out.windowMs = parseDuration(raw.window);
  if (raw.sustained !== undefined) out.sustainedMs = parseDuration(raw.sustained);
  if (raw.modalities !== undefined) out.modalities = raw.modalities === 'any' ? [...MODALITIES] : sortModalities(raw.modalities);
  if (raw.max_attempts !== undefined) out.maxAttempts = raw.max_attempts;
  if (raw.roles !== undefined) {
    // Defaults of a roles block: the four fast modalities are primary, two of them together
    // (docs/liveness.md §Acceptance, docs/policy.md §Signature roles).
    const r = raw.roles;
    out.roles = {
      primary: r.primary === undefined ? [...DEFAULT_PRIMARY] : r.primary === 'any' ? [...MODALITIES] : sortModalities(r.primary),
      minPrimary: r.min_primary ?? 2,
      onePrimary: r.one_primary === undefined ? [...ONE_PRIMARY_FALLBACKS] : ONE_PRIMARY_FALLBACKS.filter((f) => r.one_primary!.includes(f)),
    };
  }
  return out;
}

const DEFAULT_PRIMARY: readonly Modality[] = ['motion', 'typing', 'gaze', 'voice'];

export function normaliseQuorum(raw: RawQuorum): QuorumSpec {
  const q: QuorumSpec = {
    allOf: raw.all_of.map((c) => ({ group: c.group, min: c.min })).sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.min - b.min)),
    distinctOrganisations: raw.distinct_organisations ?? false,
    windowMs: parseDuration(raw.window),
    comparator: { group: raw.comparator.group, min: raw.comparator.min ?? 1, biological: raw.comparator.biological ?? false },
  };
  // Present only when true, so policies written before the field existed keep their hash.
  if (raw.allow_witness === true) q.allowWitness = true;
  return q;
}

function normaliseMatch(raw: RawMatch): RuleMatch {
  const m: RuleMatch = {};
  if (raw.actuator !== undefined) m.actuator = raw.actuator;
  const ops = list(raw.operation);
  if (ops !== undefined) m.operations = sortedUnique(ops);
  if (raw.path !== undefined) m.path = raw.path;
  const agents = list(raw.agent);
  if (agents !== undefined) m.agents = sortedUnique(agents);
  const rev = list(raw.reversibility);
  if (rev !== undefined) m.reversibility = sortReversibility(rev);
  if (raw.amount !== undefined) {
    const a = raw.amount;
    m.amount = { currency: a.currency ?? '' };
    if (a.gt !== undefined) m.amount.gt = a.gt;
    if (a.gte !== undefined) m.amount.gte = a.gte;
    if (a.lt !== undefined) m.amount.lt = a.lt;
    if (a.lte !== undefined) m.amount.lte = a.lte;
  }
  return m;
}

/** `arguments` / `arguments.a.b` → `body` / `body.a.b`; anything else (literals, `=text`) as written. */
function argumentsExpression<T extends string | number | boolean>(v: T): T | string {
  if (typeof v !== 'string') return v;
  if (v === 'arguments') return 'body';
  return v.startsWith('arguments.') ? `body.${v.slice('arguments.'.length)}` : v;
}

function upstreamUrl(u: string): string {
  try {
    const href = new URL(u).href;
    return href.endsWith('/') ? href.slice(0, -1) : href;
  } catch {
    return u; // reported by the semantic checks
  }
}

/** Raw (schema-valid) policy → normalised document. Pure; assumes the schema has passed. */
export function normalisePolicy(raw: RawPolicy): PolicyDocument {
  const d = raw.defaults ?? {};
  const defaultSignature = { ...BUILTIN_DEFAULTS.signature, modalities: [...BUILTIN_DEFAULTS.signature.modalities], ...partialSignature(d.signature ?? {}) };

  const groups: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(raw.groups ?? {})) groups[k] = sortedUnique(v);
  const organisations: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(raw.organisations ?? {})) organisations[k] = sortedUnique(v);

  const actuators: Record<string, ActuatorSpec> = {};
  for (const [name, a] of Object.entries(raw.actuators)) {
    const proxy: ProxyRoute[] = (a.proxy ?? []).map((r) => {
      const route: ProxyRoute = {
        method: r.method,
        path: r.path,
        operation: r.operation,
        target: String(r.target),
        reversibility: r.reversibility,
      };
      if (r.amount !== undefined) route.amount = r.amount;
      if (r.currency !== undefined) route.currency = r.currency;
      if (r.parameters !== undefined) route.parameters = { ...r.parameters };
      return route;
    });
    actuators[name] = {
      upstream: upstreamUrl(a.upstream),
      operations: sortedUnique([...(a.operations ?? []), ...proxy.map((r) => r.operation)]),
      proxy,
    };
  }

  for (const [name, m] of Object.entries(raw.mcp_servers ?? {})) {
    // An MCP server is an actuator whose routes are its tools (method MCP, path /tools/<name>), so
    // classification, velocity and receipts need nothing of their own. `arguments.x` reads the
    // call's arguments the way `body.x` reads a proxied body.
    const proxy: ProxyRoute[] = (m.tools ?? []).map((t) => {
      const route: ProxyRoute = {
        method: MCP_REQUEST_METHOD,
        path: toolCallPath(t.name),
        operation: t.operation ?? t.name,
        target: String(argumentsExpression(t.target)),
        reversibility: t.reversibility,
      };
      if (t.amount !== undefined) route.amount = argumentsExpression(t.amount);
      if (t.currency !== undefined) route.currency = String(argumentsExpression(t.currency));
      if (t.parameters !== undefined) {
        route.parameters = Object.fromEntries(Object.entries(t.parameters).map(([k, v]) => [k, argumentsExpression(v)]));
      }
      return route;
    });
    const mcp: McpServerSpec = { url: upstreamUrl(m.url), tools: sortedUnique((m.tools ?? []).map((t) => t.name)) };
    if (m.auth !== undefined) mcp.bearerEnv = m.auth.bearer_env;
    actuators[name] = { upstream: mcp.url, mcp, operations: sortedUnique(proxy.map((r) => r.operation)), proxy };
  }

  const rules: PolicyRule[] = (raw.rules ?? []).map((r) => {
    const rule: PolicyRule = { id: r.id, match: normaliseMatch(r.match), tier: r.tier };
    if (r.reason !== undefined) rule.reason = r.reason;
    if (r.cooling !== undefined) rule.coolingMs = parseDuration(r.cooling);
    if (r.signature !== undefined) rule.signature = partialSignature(r.signature);
    if (r.quorum !== undefined) rule.quorum = normaliseQuorum(r.quorum);
    return rule;
  });

  const velocity: VelocityRule[] = (raw.velocity ?? []).map((v) => {
    const agents = list(v.match.agent);
    const rule: VelocityRule = {
      id: v.id,
      match: { actuator: v.match.actuator, operations: sortedUnique(list(v.match.operation) ?? []) },
      per: v.per,
      windowMs: parseDuration(v.window),
      escalateTo: v.escalate_to,
    };
    if (agents !== undefined) rule.match.agents = sortedUnique(agents);
    if (v.max_amount !== undefined) rule.maxAmount = { ...v.max_amount };
    if (v.max_count !== undefined) rule.maxCount = v.max_count;
    return rule;
  });

  const doc: PolicyDocument = {
    version: 1,
    name: raw.name,
    defaults: {
      unmatchedTier: d.unmatched_tier ?? BUILTIN_DEFAULTS.unmatchedTier,
      coolingMs: d.cooling !== undefined ? parseDuration(d.cooling) : BUILTIN_DEFAULTS.coolingMs,
      signature: defaultSignature,
    },
    groups,
    organisations,
    notify: {
      vetoers: sortedUnique(raw.notify?.vetoers ?? []),
      webhooks: (raw.notify?.webhooks ?? [])
        .map((w) => (w.secret_env === undefined ? { url: w.url } : { url: w.url, secretEnv: w.secret_env }))
        .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)),
    },
    actuators,
    rules,
    velocity,
  };
  if (d.quorum !== undefined) doc.defaults.quorum = normaliseQuorum(d.quorum);
  return doc;
}
