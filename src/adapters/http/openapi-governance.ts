import { RELAXATION_EVIDENCE_SCHEMA } from '../../core/policy-governance/evidence.ts';

/**
 * OpenAPI paths of policy governance (docs/governance.md), spread into OPENAPI.paths.
 */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '413': problem, '429': problem, '503': problem };
const auth = [{ clientAssertion: [] }];
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });

const criterion = { type: 'object', required: ['statement', 'evidence'], properties: { statement: { type: 'string' }, evidence: { type: 'string', description: 'URL, document id or digest where the proof is' } } };
const evidenceSchema = {
  ...RELAXATION_EVIDENCE_SCHEMA,
  description: 'The four relaxation criteria of seed §VI.5; required when the change relaxes the policy.',
  properties: {
    actionClass: { type: 'string' },
    transparency: { ...criterion, required: ['tier', 'statement', 'evidence'], properties: { ...criterion.properties, tier: { enum: ['T3', 'T4', 'T5'] } } },
    calibration: criterion,
    institutionalMonitoring: criterion,
    irreversibility: { ...criterion, required: ['category', 'statement', 'evidence'], properties: { ...criterion.properties, category: { enum: [1, 2] } } },
  },
};

const proposal = {
  type: 'object',
  required: ['id', 'status', 'kind', 'baseHash', 'hash', 'findings', 'diff', 'links'],
  properties: {
    id: { type: 'string' },
    status: { enum: ['applied', 'awaiting_quorum', 'applying', 'superseded', 'failed', 'expired', 'vetoed'] },
    kind: { enum: ['tightening', 'relaxation'] },
    proposer: { type: 'object', properties: { kind: { enum: ['person', 'system', 'file'] }, id: { type: 'string' } } },
    baseHash: { type: 'string' },
    hash: { type: 'string' },
    findings: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
    diff: { type: 'array', items: { type: 'object', properties: { op: { enum: ['added', 'removed', 'changed'] }, path: { type: 'string' }, from: {}, to: {} } } },
    relaxationEvidence: evidenceSchema,
    quorum: { type: 'object', description: 'relaxations: the strictest quorum of the base policy' },
    action: { type: 'object', description: 'relaxations: the CRITICAL @policy action, its approvals and the quorum evaluation' },
    links: { type: 'object' },
  },
};

export const GOVERNANCE_PATHS = {
  '/v1/policies/proposals': {
    post: {
      summary: 'Propose a complete policy (roles admin, authorizer). Tightening applies at once; a relaxation needs relaxationEvidence and becomes a CRITICAL @policy action awaiting the quorum',
      security: auth,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: ['policy'],
              properties: { policy: { type: 'string', description: 'the policy file (YAML), docs/policy.md' }, relaxationEvidence: evidenceSchema, note: { type: 'string', maxLength: 2000 } },
            },
          },
        },
      },
      responses: { '201': json(proposal, 'the proposal: applied, or awaiting its quorum'), ...errors },
    },
    get: { summary: 'The latest 100 proposals (admin, authorizer, comparator, regulator)', security: auth, responses: { '200': json({ type: 'object', properties: { proposals: { type: 'array', items: proposal } } }, 'proposals, newest first'), ...errors } },
  },
  '/v1/policies/proposals/{id}': {
    get: {
      summary: 'One proposal with its diff against the policy it was compared with, its findings, and for a relaxation its action and quorum evaluation',
      security: auth,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': json(proposal, 'the proposal'), ...errors },
    },
  },
  '/v1/policies/active': {
    get: { summary: 'The active policy: hash, activation number, normalised document', security: auth, responses: { '200': { description: 'the active version' }, ...errors } },
  },
  '/v1/policies/versions': {
    get: { summary: 'Every policy version (hash, status, who proposed it, when) and the activation history', security: auth, responses: { '200': { description: 'versions and activations' }, ...errors } },
  },
  '/v1/policies/versions/{hash}': {
    get: {
      summary: 'One policy version with its normalised document and source text',
      security: auth,
      parameters: [{ name: 'hash', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } }],
      responses: { '200': { description: 'the version' }, ...errors },
    },
  },
};
