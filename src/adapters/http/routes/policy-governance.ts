import express, { type Request, type Response, type Router } from 'express';
import type { ValidateFunction } from 'ajv';
import { FirewallError } from '../../../core/errors.ts';
import { compileSchema, describeAjvErrors, formatFieldPath } from '../../../core/policy/json-schema.ts';
import { evaluateActionQuorum } from '../../../gateway/approvals.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import type { PolicyGovernance } from '../../../gateway/policy-governance.ts';
import { activeView, proposalView, versionView } from '../../../gateway/policy-governance-views.ts';
import type { PrincipalRecord } from '../../../gateway/ports/principals.ts';
import type { RouterMount } from '../app.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

/**
 * /v1/policies: proposals, versions and the active policy (docs/governance.md).
 *  - proposing: roles admin or authorizer. An agent credential never touches the policy (403).
 *  - reading: admin, authorizer, comparator, regulator.
 */

const PROPOSE_ROLES = new Set(['admin', 'authorizer']);
const READ_ROLES = new Set(['admin', 'authorizer', 'comparator', 'regulator']);

export interface ProposalBody {
  policy: string;
  relaxationEvidence?: unknown;
  note?: string;
}

const PROPOSAL_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  properties: {
    policy: { type: 'string', minLength: 1, errorHint: 'must be the complete policy file (YAML) as a string' },
    relaxationEvidence: { type: 'object' },
    note: { type: 'string', maxLength: 2000 },
  },
} as const;

let validator: ValidateFunction<ProposalBody> | undefined;

function parseProposalBody(body: unknown): ProposalBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FirewallError('BODY_INVALID', 'the request body must be a JSON object { policy, relaxationEvidence?, note? }', { status: 400, detail: { errors: [{ field: '(body)', message: 'must be a JSON object' }] } });
  }
  validator ??= compileSchema<ProposalBody>(PROPOSAL_BODY);
  if (validator(body)) return body;
  const errors = describeAjvErrors(validator.errors).map((p) => ({ field: formatFieldPath(p.path), message: p.message }));
  throw new FirewallError('BODY_INVALID', `invalid proposal: ${errors[0]!.field}: ${errors[0]!.message}`, { status: 400, detail: { errors } });
}

function requireRole(p: PrincipalRecord, roles: ReadonlySet<string>, what: string): void {
  if (p.roles.includes('agent') || !p.roles.some((r) => roles.has(r))) {
    throw new FirewallError('ROLE_FORBIDDEN', `${what} needs one of the roles ${[...roles].join(', ')}; an agent never touches the policy`, { status: 403 });
  }
}

export function policyGovernanceRouter(ctx: GatewayContext, gov: PolicyGovernance): Router {
  const r = express.Router();
  const json = express.json({ limit: ctx.bodyLimitBytes, strict: true, type: () => true });
  r.use(authenticateRequest(ctx));

  r.post('/proposals', json, async (req: Request, res: Response) => {
    const p = principalOf(res);
    requireRole(p, PROPOSE_ROLES, 'proposing a policy change');
    const body = parseProposalBody(req.body);
    const proposal = await gov.propose(
      { text: body.policy, proposer: { kind: 'person', id: p.id }, ...(body.relaxationEvidence === undefined ? {} : { relaxationEvidence: body.relaxationEvidence }), ...(body.note === undefined ? {} : { note: body.note }) },
      ctx.bus,
    );
    const action = proposal.actionId === undefined ? undefined : await ctx.store.getAction(proposal.actionId);
    res.setHeader('Location', `/v1/policies/proposals/${proposal.id}`);
    res.status(201).json(proposalView(proposal, action));
  });

  r.get('/proposals', async (_req: Request, res: Response) => {
    requireRole(principalOf(res), READ_ROLES, 'reading policy proposals');
    const list = await gov.proposals(100);
    const out = [];
    for (const p of list) out.push(proposalView(p, p.actionId === undefined ? undefined : await ctx.store.getAction(p.actionId)));
    res.json({ proposals: out });
  });

  r.get('/proposals/:id', async (req: Request, res: Response) => {
    requireRole(principalOf(res), READ_ROLES, 'reading policy proposals');
    const id = String(req.params['id']);
    const p = await gov.proposal(id);
    if (p === undefined) throw new FirewallError('PROPOSAL_NOT_FOUND', `no policy proposal '${id.slice(0, 100)}'`, { status: 404 });
    const action = p.actionId === undefined ? undefined : await ctx.store.getAction(p.actionId);
    const e = action === undefined ? undefined : await evaluateActionQuorum(ctx, action);
    const quorum = e === undefined ? undefined : { satisfied: e.satisfied, quorumMet: e.quorumMet, groups: e.groups, comparators: e.comparators, reasons: e.reasons };
    res.json(proposalView(p, action, quorum));
  });

  r.get('/active', async (_req: Request, res: Response) => {
    requireRole(principalOf(res), READ_ROLES, 'reading the policy');
    const a = await gov.versions.active();
    const v = a === undefined ? undefined : await gov.versions.version(a.hash);
    if (a === undefined || v === undefined) throw new FirewallError('POLICY_NOT_ACTIVE', 'no policy version is recorded as active', { status: 503 });
    res.json(activeView(a, v));
  });

  r.get('/versions', async (_req: Request, res: Response) => {
    requireRole(principalOf(res), READ_ROLES, 'reading policy versions');
    res.json({ versions: (await gov.versions.versions()).map((v) => versionView(v, false)), activations: await gov.versions.activations() });
  });

  r.get('/versions/:hash', async (req: Request, res: Response) => {
    requireRole(principalOf(res), READ_ROLES, 'reading policy versions');
    const hash = String(req.params['hash']).toLowerCase();
    const v = /^[0-9a-f]{64}$/.test(hash) ? await gov.versions.version(hash) : undefined;
    if (v === undefined) throw new FirewallError('POLICY_VERSION_NOT_FOUND', `no policy version '${hash.slice(0, 64)}'`, { status: 404 });
    res.json(versionView(v, true));
  });

  return r;
}

/** For GatewayParts.mounts. */
export function policyGovernanceMount(ctx: GatewayContext, gov: PolicyGovernance): RouterMount {
  return { path: '/v1/policies', router: policyGovernanceRouter(ctx, gov) };
}
