import type { Reversibility } from '../action/descriptor.ts';
import type { BranchCardEvaluation } from '../branch-card/evaluate.ts';
import type { Tier } from '../tier.ts';
import type { CompiledPolicy } from './compile.ts';
import type { Modality } from './modality.ts';

/**
 * The NORMALISED policy: what a policy file means, with every default filled in, durations in
 * milliseconds, unordered lists sorted and field names in camelCase. Two files that mean the same
 * thing normalise to the same value, so the SHA-256 of its canonical JSON is the policy hash.
 */

export type AboveLowTier = Exclude<Tier, 'LOW'>;

export interface SignatureSpec {
  /** How long a human has, from challenge to completed signature. */
  windowMs: number;
  /** How long the biological entropy must be sustained. */
  sustainedMs: number;
  /** Accepted modalities: any ONE of them suffices (seed §VI.2, Threat 2). Vocabulary order. */
  modalities: Modality[];
  /** Failed attempts allowed per challenge before it is spent. */
  maxAttempts: number;
  /**
   * Modality roles (signature-roles.ts), present only when the policy sets them (a policy written
   * before roles keeps its meaning and its hash: any one accepted modality suffices).
   */
  roles?: SignatureRolesSpec;
}

/** What a person with fewer primary modalities than `minPrimary` may do instead (in this order of preference). */
export type OnePrimaryFallback = 'supporting' | 'longer' | 'witness';
export const ONE_PRIMARY_FALLBACKS: readonly OnePrimaryFallback[] = ['supporting', 'longer', 'witness'];

export interface SignatureRolesSpec {
  /** Modalities that can carry a signature (the others accepted are supporting: a weak response of theirs is not fatal). Vocabulary order. */
  primary: Modality[];
  /** Primary modalities a session must capture together, on one device. */
  minPrimary: number;
  /**
   * For a person who can produce fewer primaries: 'supporting' (those primaries plus supporting
   * modalities to make up the count), 'longer' (those primaries for proportionally longer), 'witness'
   * (the institutional witness). Empty: such a person cannot sign.
   */
  onePrimary: OnePrimaryFallback[];
}

/** A rule may tighten some signature fields and leave the rest to the defaults. */
export type PartialSignatureSpec = Partial<SignatureSpec>;

export interface QuorumClause {
  group: string;
  min: number;
}

export interface ComparatorSpec {
  group: string;
  /** How many of the group must verify. */
  min: number;
  /** Whether the comparator's verification must itself carry a biological signature. */
  biological: boolean;
}

export interface QuorumSpec {
  /** AND of clauses: at least `min` distinct signers from each group. */
  allOf: QuorumClause[];
  /** Signers must come from pairwise different organisations. */
  distinctOrganisations: boolean;
  /** How long, from the first request, the quorum has to gather. */
  windowMs: number;
  comparator: ComparatorSpec;
  /**
   * Institutional witness approvals (role 'witness') may count towards the comparator requirement.
   * Absent means false (the default); normalised away when false so older policies keep their hash.
   */
  allowWitness?: true;
}

export interface AmountMatch {
  currency: string;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** All given fields must match (AND). An absent field matches anything. */
export interface RuleMatch {
  actuator?: string;
  operations?: string[];
  /** Route pattern or glob against the request path (`:param`, `*` one segment, `**` any depth). */
  path?: string;
  agents?: string[];
  reversibility?: Reversibility[];
  amount?: AmountMatch;
}

export interface PolicyRule {
  id: string;
  match: RuleMatch;
  tier: Tier;
  reason?: string;
  /** MEDIUM rules only. */
  coolingMs?: number;
  /** HIGH and CRITICAL rules only. */
  signature?: PartialSignatureSpec;
  /** CRITICAL rules only. */
  quorum?: QuorumSpec;
}

/**
 * Whose earlier actions a velocity window adds up (docs/policy.md §velocity): the agent's own, the
 * agent's on the same target, every agent of the same owner, of the same organisation, every
 * agent's on the same target, or every action the rule matches.
 */
export const VELOCITY_SCOPES = ['agent', 'agent_target', 'owner', 'organisation', 'target', 'global'] as const;
export type VelocityScope = (typeof VELOCITY_SCOPES)[number];

/**
 * The requesting agent's place in the scopes: who owns it and which organisation it belongs to,
 * as registered (PrincipalRecord). An agent registered without an owner is its own owner, and
 * without an organisation its owner is its organisation, so the wider scopes are never narrower
 * than the agent's own.
 */
export interface VelocityPrincipal {
  owner: string;
  organisation: string;
}

export function velocityPrincipalOf(p: { id: string; owner?: string | undefined; organisation?: string | undefined }): VelocityPrincipal {
  const owner = p.owner ?? p.id;
  return { owner, organisation: p.organisation ?? owner };
}

export interface VelocityRule {
  id: string;
  match: { actuator: string; operations: string[]; agents?: string[] };
  per: VelocityScope;
  windowMs: number;
  /** Per ISO 4217 currency; currencies not listed have no amount limit. */
  maxAmount?: Record<string, number>;
  maxCount?: number;
  escalateTo: AboveLowTier;
}

export interface ProxyRoute {
  method: string;
  /** Route pattern with `:param` segments (also `*` and `**`). */
  path: string;
  operation: string;
  /** Field expressions: `body.a.b`, `params.name`, `query.name`, or a literal. */
  target: string;
  /** Expression, or a literal number. */
  amount?: string | number;
  currency?: string;
  reversibility: Reversibility;
  /** Named parameters to record (expressions or literals); when absent the descriptor gets `{ params, query, body }`. */
  parameters?: Record<string, string | number | boolean>;
}

/** An actuator that is an upstream MCP server (policy `mcp_servers:`); its tools are its routes. */
export interface McpServerSpec {
  url: string;
  /** Environment variable holding the bearer token the gateway presents to the server. */
  bearerEnv?: string;
  /** Upstream tool names the policy maps; other tools are unmapped (never below HIGH). */
  tools: string[];
}

export interface ActuatorSpec {
  upstream: string;
  /** Present when the actuator is an MCP server: reached through /mcp, never through /proxy. */
  mcp?: McpServerSpec;
  /** Operations this actuator is known to have (declared plus those its proxy routes produce). */
  operations: string[];
  proxy: ProxyRoute[];
}

export interface WebhookSpec {
  url: string;
  /** Name of the environment variable holding the signing secret; secrets never live in the file. */
  secretEnv?: string;
}

export interface PolicyDefaults {
  unmatchedTier: AboveLowTier;
  coolingMs: number;
  signature: SignatureSpec;
  quorum?: QuorumSpec;
}

export interface PolicyDocument {
  version: 1;
  name: string;
  defaults: PolicyDefaults;
  /** Group → member ids (sorted). */
  groups: Record<string, string[]>;
  /** Organisation → member ids (sorted); needed for distinct_organisations. */
  organisations: Record<string, string[]>;
  notify: { vetoers: string[]; webhooks: WebhookSpec[] };
  actuators: Record<string, ActuatorSpec>;
  /** File order matters only for which rule is named when several share the maximum tier. */
  rules: PolicyRule[];
  velocity: VelocityRule[];
}

export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path, e.g. `rules[2].match.amount.currency`. */
  field: string;
  message: string;
}

export interface Policy extends PolicyDocument {
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the PolicyDocument part. */
  readonly hash: string;
  readonly file: string;
  /** Non-fatal findings (e.g. a rule the irreversible floor makes pointless). */
  readonly warnings: readonly PolicyIssue[];
  /** Indexes and precompiled matchers (non-enumerable: not part of the document). */
  readonly compiled: CompiledPolicy;
}

// --- classification -------------------------------------------------------------------------

export interface QuorumRequirement {
  allOf: { group: string; min: number; members: string[] }[];
  distinctOrganisations: boolean;
  windowMs: number;
  /** Every listed comparator must verify (one per distinct comparator group among the rules combined). */
  comparators: { group: string; min: number; biological: boolean; members: string[] }[];
  /** Member → organisation, for every member involved, when distinctOrganisations is true. */
  organisationOf?: Record<string, string>;
  /** Present (true) only when every quorum combined allows witness approvals (see QuorumSpec). */
  allowWitness?: true;
}

export interface Requirements {
  /** MEDIUM: how long the action waits, vetoable, before it executes. */
  coolingMs?: number;
  /** HIGH and CRITICAL: what each biological signature must satisfy. */
  signature?: SignatureSpec;
  /** CRITICAL: who must sign. */
  quorum?: QuorumRequirement;
}

export type Decision = 'ALLOW' | 'BLOCK';

export interface Classification {
  /** ALLOW means "proceed at the tier's tempo"; BLOCK is the one outright refusal. */
  decision: Decision;
  tier: Tier;
  /**
   * What fixed the outcome: a rule id, 'default:unmatched', 'floor:irreversible',
   * 'velocity:<id>', 'branch-card:<gate|any_gate_failed|decision>' or 'conflict:modalities'.
   */
  decidingRule: string;
  reasons: string[];
  /** Every rule whose match held, in file order, whatever its tier. */
  matchedRules: string[];
  /** Empty for LOW and for BLOCK. */
  requirements: Requirements;
  policyHash: string;
  branchCard?: Pick<BranchCardEvaluation, 'outcome' | 'failedGates' | 'unknownGates'>;
}

/** Count earlier accepted actions whose fields equal every one given here (absent: any value). */
export interface VelocityQuery {
  ruleId: string;
  /** per: agent, agent_target. */
  agent?: string;
  /** per: owner (VelocityPrincipal.owner). */
  owner?: string;
  /** per: organisation (VelocityPrincipal.organisation). */
  organisation?: string;
  /** per: agent_target, target. */
  target?: string;
  actuator: string;
  operations: string[];
  /** Present when the action carries a currency: sum amounts of this currency only (every action counts towards max_count). */
  currency?: string;
  /** Count earlier accepted actions at or after this instant (ms since epoch). */
  sinceMs: number;
}

export interface VelocityTotal {
  ruleId: string;
  /** Earlier accepted actions in the window, not counting the one being classified. */
  count: number;
  /** Their summed amount in the query's currency (0 when no currency). */
  amount: number;
}
